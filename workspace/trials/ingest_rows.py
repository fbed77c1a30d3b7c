"""A batch's readings as they are written: COPY text prepared before the
trial's lock, one COPY (or executemany) for a whole group of batches, and
the sample of readings an event carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from workspace.fields import iso_utc
from workspace.trials.models import Measurement

# Trial, batch and time last: a live batch's rows end alike, so its COPY text
# is one join (see insert_rows).
COLUMNS = ("metric", "value", "source", "trial_id", "batch_id", "recorded_at")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def sample(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    times: dict[datetime, str | None] = {}  # a live batch's readings share one
    out = []
    for r in rows:
        at = r["recorded_at"]
        if at not in times:
            times[at] = iso_utc(at)
        out.append(
            {
                "metric": r["metric"],
                "value": r["value"],
                "recorded_at": times[at],
                "source": r["source"],
            }
        )
    return out


def _copy_text(value: str) -> str:
    """A text field as COPY's text format reads it back unchanged."""
    return value.translate(_COPY_ESCAPES)


def copy_parts(rows: list[dict[str, Any]]) -> list[str]:
    """Each reading's metric, value and source as COPY text. The value is
    written as psycopg writes a float (`str`: the shortest text that reads
    back as the same double)."""
    texts: dict[str | None, str] = {None: "\\N"}
    parts = []
    append = parts.append
    for r in rows:
        metric, source = r["metric"], r["source"]
        if metric not in texts:
            texts[metric] = _copy_text(metric)
        if source not in texts:
            texts[source] = _copy_text(source)
        append(f"{texts[metric]}\t{r['value']!r}\t{texts[source]}")
    return parts


def _copy_data(trial_id: int, batch_id: int, rows: list[dict[str, Any]], parts: list[str]) -> str:
    head = f"\t{trial_id}\t{batch_id}\t"
    at = rows[0]["recorded_at"]
    if all(r["recorded_at"] is at for r in rows):
        end = f"{head}{at.isoformat()}\n"
        return end.join(parts) + end
    return "".join(
        f"{part}{head}{r['recorded_at'].isoformat()}\n" for part, r in zip(parts, rows, strict=True)
    )


def insert_rows(
    session: Session,
    trial_id: int,
    batches: list[tuple[int, list[dict[str, Any]], list[str]]],
) -> None:
    """Store the readings of `batches` ((batch id, rows, COPY parts), in
    order). Nothing here needs them back as ORM objects, and the ORM's bulk
    path cost more than the insert itself at 10,000 rows: PostgreSQL gets one
    COPY of text prepared before the trial lock (psycopg's write_row per
    reading was a quarter of the request's CPU), SQLite one Core executemany."""
    batches = [b for b in batches if b[1]]
    if not batches:
        return
    conn = session.connection()
    if batches[0][2]:  # PostgreSQL (prepared before the trial lock)
        data = "".join(_copy_data(trial_id, *batch) for batch in batches)
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY measurements ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(data)
        return
    conn.execute(
        insert(Measurement.__table__),
        [
            {
                "trial_id": trial_id,
                "batch_id": batch_id,
                "metric": r["metric"],
                "value": r["value"],
                "recorded_at": r["recorded_at"],
                "source": r["source"],
            }
            for batch_id, rows, _parts in batches
            for r in rows
        ],
    )
