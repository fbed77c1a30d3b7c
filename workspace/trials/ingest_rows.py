"""A batch's readings as they are written (an INSERT of arrays per batch,
or one executemany for a group), and the sample of readings an event
carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from workspace.fields import iso_utc
from workspace.trials.models import Measurement

# One statement per batch, its readings as arrays in the order they came
# (ids follow it): unlike COPY, it can go in one round trip with the group's
# other writes (db.sent_together). A live batch's readings share one time and
# have no source: those arrays are sent as NULL, which unnest reads as a
# column of NULLs, and the time once, as `at`.
_UNNEST = """
INSERT INTO measurements (trial_id, batch_id, metric, value, source, recorded_at)
SELECT %(trial)b, %(batch)b, u.metric, u.value, u.source, coalesce(u.recorded_at, %(at)b)
FROM unnest(%(metrics)b::text[], %(values)b::float8[], %(sources)b::text[],
            %(times)b::timestamptz[]) WITH ORDINALITY AS u(metric, value, source, recorded_at, n)
ORDER BY u.n
"""


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


def insert_rows(
    session: Session, trial_id: int, batches: list[tuple[int, list[dict[str, Any]]]]
) -> None:
    """Store the readings of `batches` ((batch id, rows), in order). Nothing
    here needs them back as ORM objects, and the ORM's bulk path cost more
    than the insert itself at 10,000 rows. PostgreSQL: one INSERT of arrays
    per batch, the values dumped in binary (psycopg's C dumpers, cheaper than
    writing COPY text); SQLite: one Core executemany."""
    batches = [b for b in batches if b[1]]
    if not batches:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        for batch_id, rows in batches:
            at = rows[0]["recorded_at"]
            one_time = all(r["recorded_at"] is at for r in rows)
            sources = [r["source"] for r in rows]
            raw.execute(
                _UNNEST,
                {
                    "trial": trial_id,
                    "batch": batch_id,
                    "at": at if one_time else None,
                    "metrics": [r["metric"] for r in rows],
                    # floats all (an int among them would not dump as float8[])
                    "values": [float(r["value"]) for r in rows],
                    "sources": None if sources.count(None) == len(sources) else sources,
                    "times": None if one_time else [r["recorded_at"] for r in rows],
                },
            )
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
            for batch_id, rows in batches
            for r in rows
        ],
    )
