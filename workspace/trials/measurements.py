"""Measurements streaming in from the line: validated, stored in bulk, once.

Parsing is hand-written rather than a marshmallow schema per item: a batch of
10,000 is the common case for line systems and is checked in one pass, with
errors naming the index and field.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.errors import Conflict, PayloadTooLarge, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.fields import iso_utc
from workspace.house import react
from workspace.trials.fold import refold_order, save_stats, update_stats
from workspace.trials.models import Indicator, Measurement, MeasurementBatch
from workspace.trials.results import live_results
from workspace.trials.schemas import MAX_BATCH
from workspace.trials.service import get_trial, trial_ref

ALLOWED_KEYS = {"metric", "value", "recorded_at", "source", "client_key"}
BIG_INT = 10**300  # larger integers overflow a float: the slow path says so
EVENT_SAMPLE = 50
MAX_ERRORS = 20


def parse_measurements(payload: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One object or a list of them → rows, and the batch's client key. A
    reading sent without a time has `recorded_at` None: it is given the time
    the batch is stored (`record_measurements`), under the trial's lock."""
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise ValidationFailed(
            "Send one measurement object or a list of them.",
            fields={"_schema": ["Expected an object or a list."]},
        )
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(
            f"A batch holds at most {MAX_BATCH:,} measurements; this one has {len(items):,}. "
            "Split it into several requests.",
            fields={"_schema": [f"At most {MAX_BATCH}."]},
        )
    if not items:
        raise ValidationFailed("The batch is empty.", fields={"_schema": ["No measurements."]})
    keys: set[str] = set()
    rows = _parse_fast(items, keys)
    if rows is None:
        rows, keys = _parse_each(items, single)
    if len(keys) > 1:
        raise ValidationFailed(
            "All measurements of one batch share one client_key.",
            fields={"client_key": ["Differs between items."]},
        )
    return rows, next(iter(keys), None)


def _parse_fast(items: list[Any], keys: set[str]) -> list[dict[str, Any]] | None:
    """What line systems send (a metric, a finite number, maybe a key, a source
    and a time), in one loop without a call per item: a batch of 10,000
    spends most of its parse time here. None at the first item that needs a
    closer look (`_parse_each` then names every problem)."""
    rows = []
    append = rows.append
    last_key = None
    for item in items:
        if type(item) is not dict or not item.keys() <= ALLOWED_KEYS:
            return None
        metric, value = item.get("metric"), item.get("value")
        source, key = item.get("source"), item.get("client_key")
        if not (
            type(metric) is str
            and metric
            and (
                (type(value) is float and value - value == 0.0)  # not NaN or ±inf
                or (type(value) is int and -BIG_INT < value < BIG_INT)
            )
            and (source is None or (type(source) is str and len(source) <= 200))
        ):
            return None
        if key is not None and key != last_key:
            if type(key) is not str or not key or len(key) > 200:
                return None
            keys.add(key)
            last_key = key
        at = item.get("recorded_at")
        if at is not None:
            at = _parse_time(at)
            if at is None:
                return None
        append({"metric": metric, "value": float(value), "recorded_at": at, "source": source})
    return rows


def _parse_each(items: list[Any], single: bool) -> tuple[list[dict[str, Any]], set[str]]:
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, item in enumerate(items):
        where = "" if single else f"{index}."
        for field, message in _parse_slow(item, rows, keys):
            if len(errors) < MAX_ERRORS:
                errors[f"{where}{field}"] = [message]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"Invalid measurement at {first}: {errors[first][0]}", fields=errors)
    return rows, keys


def _parse_slow(item: Any, rows: list[dict[str, Any]], keys: set[str]) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [("_schema", "Expected an object with metric and value.")]
    problems = [(k, "Unknown field.") for k in item if k not in ALLOWED_KEYS]
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric:
        problems.append(("metric", "Required: an indicator key."))
    value = item.get("value")
    if "value" not in item:
        problems.append(("value", "Required."))
    elif isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(("value", "Must be a number."))
    else:
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            problems.append(("value", "Must be a finite number (not NaN or Infinity)."))
    recorded_at = None
    if item.get("recorded_at") is not None:
        recorded_at = _parse_time(item["recorded_at"])
        if recorded_at is None:
            problems.append(
                ("recorded_at", "An ISO-8601 time with a zone, e.g. 2026-01-31T08:00:00Z.")
            )
    source = item.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > 200):
        problems.append(("source", "A string of at most 200 characters."))
    key = item.get("client_key")
    if key is not None:
        if not isinstance(key, str) or not key or len(key) > 200:
            problems.append(("client_key", "A string of 1 to 200 characters."))
        else:
            keys.add(key)
    if not problems:
        rows.append(
            {"metric": metric, "value": value, "recorded_at": recorded_at, "source": source}
        )
    return problems


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def record_measurements(
    session: Session,
    actor: User,
    trial_id: int,
    rows: list[dict[str, Any]],
    client_key: str | None,
    live: bool = True,
) -> tuple[dict[str, Any], bool]:
    """Store a batch; returns the answer and whether it is a replay.

    `live=False` stores readings of the past (the demo's finished trials):
    the control-chart check on each batch warns a team while a line runs, and
    has nothing to say about readings taken days ago.

    One trial's batches are stored one at a time (its row lock, held to the
    commit): what needs no lock (the readings' COPY text, the metrics) is
    prepared before taking it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    copy_parts = _copy_parts(rows) if postgres else []
    metrics = sorted({r["metric"] for r in rows})
    trial = get_trial(session, actor, trial_id, Need.EDIT, lock=True)
    if client_key is not None:
        seen = session.scalar(
            select(MeasurementBatch.response).where(
                MeasurementBatch.trial_id == trial.id, MeasurementBatch.client_key == client_key
            )
        )
        if seen is not None:
            return seen, True
    if trial.status != "running":
        raise Conflict(
            f"Trial #{trial.number} is {trial.status}; measurements are accepted only while "
            "it is running.",
            code="trial_not_running",
        )
    # The columns a result needs, not Indicator objects: read on every batch.
    indicators = session.execute(
        select(
            Indicator.id, Indicator.key, Indicator.comparator, Indicator.target, Indicator.aggregate
        )
        .where(Indicator.workspace_id == trial.workspace_id)
        .order_by(Indicator.id)
    ).all()
    known = {i.key for i in indicators}
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise ValidationFailed(
            f"Unknown metric{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Metrics are indicator keys: {', '.join(sorted(known)) or 'none defined yet'}.",
            fields={"metric": [f"Unknown: {', '.join(unknown)}."]},
            code="unknown_metric",
        )
    # Readings sent without a time are stamped now, under the lock: a batch
    # that waited for it is then not older than the one stored before it, so
    # concurrent live batches never look like a backfill (a refold).
    now = utcnow()
    for r in rows:
        if r["recorded_at"] is None:
            r["recorded_at"] = now
    stats, backwards = update_stats(session, trial.id, rows)
    results, outcome = live_results(indicators, stats)
    response = {
        "trial_id": trial.id,
        "count": len(rows),
        "metrics": metrics,
        "client_key": client_key,
        "outcome": outcome,
        "results": results,
    }
    # The answer is known before the batch row is written: one INSERT, no UPDATE.
    batch_id = session.scalar(
        insert(MeasurementBatch.__table__)
        .values(
            trial_id=trial.id,
            client_key=client_key,
            count=len(rows),
            created_by_id=actor.id,
            response=response,
        )
        .returning(MeasurementBatch.__table__.c.id)
    )
    _insert_rows(session, trial.id, batch_id, rows, copy_parts)
    if backwards:
        refold_order(session, trial.id, stats, backwards)
    save_stats(session, trial.id, stats, metrics)
    record_event(
        session,
        trial.workspace_id,
        ev.TRIAL_MEASUREMENTS_RECORDED,
        {
            "trial": trial_ref(trial),
            "count": len(rows),
            "metrics": metrics,
            "client_key": client_key,
            "outcome": outcome,
            "results": results,
            "latest": _sample(rows[-EVENT_SAMPLE:]),
        },
        actor,
    )
    if live:  # inside this transaction, with the new rows: control-chart rules
        react(session, ev.TRIAL_MEASUREMENTS_RECORDED, trial, rows, actor)
    return response, False


def _sample(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


# Trial, batch and time last: a live batch's rows end alike, so its COPY text
# is one join (see _insert_rows).
COLUMNS = ("metric", "value", "source", "trial_id", "batch_id", "recorded_at")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text field as COPY's text format reads it back unchanged."""
    return value.translate(_COPY_ESCAPES)


def _copy_parts(rows: list[dict[str, Any]]) -> list[str]:
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


def _insert_rows(
    session: Session,
    trial_id: int,
    batch_id: int,
    rows: list[dict[str, Any]],
    copy_parts: list[str],
) -> None:
    """Store a batch's readings. Nothing here needs them back as ORM objects,
    and the ORM's bulk path cost more than the insert itself at 10,000 rows:
    PostgreSQL gets one COPY of text prepared before the trial lock
    (psycopg's write_row per reading was a quarter of the request's CPU),
    SQLite one Core executemany."""
    if not rows:
        return
    conn = session.connection()
    if copy_parts:  # PostgreSQL (prepared before the trial lock)
        head = f"\t{trial_id}\t{batch_id}\t"
        at = rows[0]["recorded_at"]
        if all(r["recorded_at"] is at for r in rows):
            end = f"{head}{at.isoformat()}\n"
            data = end.join(copy_parts) + end
        else:
            data = "".join(
                f"{part}{head}{r['recorded_at'].isoformat()}\n"
                for part, r in zip(copy_parts, rows, strict=True)
            )
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
            for r in rows
        ],
    )


def list_measurements(
    session: Session,
    actor: User,
    trial_id: int,
    after_id: int,
    limit: int,
    metric: str | None = None,
) -> list[Measurement]:
    trial = get_trial(session, actor, trial_id, Need.READ)
    stmt = select(Measurement).where(Measurement.trial_id == trial.id, Measurement.id > after_id)
    if metric:
        stmt = stmt.where(Measurement.metric == metric)
    return list(session.scalars(stmt.order_by(Measurement.id).limit(limit + 1)))
