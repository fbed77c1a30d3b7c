"""Measurements streaming in from the line: validated, stored in bulk, once.

Parsing is hand-written rather than a marshmallow schema per item: a batch of
10,000 is the common case for line systems and is checked in one pass, with
errors naming the index and field.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.errors import Conflict, PayloadTooLarge, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.fields import iso_utc
from workspace.house import react
from workspace.trials.models import Measurement, MeasurementBatch, MetricStats
from workspace.trials.results import indicators_of, live_results
from workspace.trials.schemas import MAX_BATCH
from workspace.trials.service import get_trial, trial_ref

ALLOWED_KEYS = {"metric", "value", "recorded_at", "source", "client_key"}
FAST_KEYS = ALLOWED_KEYS - {"recorded_at"}
BIG_INT = 10**300  # larger integers overflow a float: the slow path says so
EVENT_SAMPLE = 50
MAX_ERRORS = 20


def parse_measurements(payload: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One object or a list of them → rows, and the batch's client key."""
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
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    keys: set[str] = set()
    now = utcnow()
    for index, item in enumerate(items):
        where = "" if single else f"{index}."
        problems = _parse_one(item, now, rows, keys)
        for field, message in problems:
            if len(errors) < MAX_ERRORS:
                errors[f"{where}{field}"] = [message]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"Invalid measurement at {first}: {errors[first][0]}", fields=errors)
    if len(keys) > 1:
        raise ValidationFailed(
            "All measurements of one batch share one client_key.",
            fields={"client_key": ["Differs between items."]},
        )
    return rows, next(iter(keys), None)


def _parse_one(
    item: Any, now: datetime, rows: list[dict[str, Any]], keys: set[str]
) -> list[tuple[str, str]]:
    # Fast path for what line systems send (a metric, a finite number, maybe a
    # key and a source): a batch of 10,000 spends most of its parse time here.
    if type(item) is dict and item.keys() <= FAST_KEYS:
        metric, value = item.get("metric"), item.get("value")
        source, key = item.get("source"), item.get("client_key")
        if (
            type(metric) is str
            and metric
            and (
                (type(value) is float and value - value == 0.0)  # not NaN or ±inf
                or (type(value) is int and -BIG_INT < value < BIG_INT)
            )
            and (source is None or (type(source) is str and len(source) <= 200))
            and (key is None or (type(key) is str and key and len(key) <= 200))
        ):
            if key is not None:
                keys.add(key)
            rows.append(
                {"metric": metric, "value": float(value), "recorded_at": now, "source": source}
            )
            return []
    return _parse_slow(item, now, rows, keys)


def _parse_slow(
    item: Any, now: datetime, rows: list[dict[str, Any]], keys: set[str]
) -> list[tuple[str, str]]:
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
    recorded_at = now
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
    has nothing to say about readings taken days ago."""
    trial = get_trial(session, actor, trial_id, Need.EDIT, lock=True)
    if client_key is not None:
        seen = session.scalar(
            select(MeasurementBatch).where(
                MeasurementBatch.trial_id == trial.id, MeasurementBatch.client_key == client_key
            )
        )
        if seen is not None:
            return seen.response, True
    if trial.status != "running":
        raise Conflict(
            f"Trial #{trial.number} is {trial.status}; measurements are accepted only while "
            "it is running.",
            code="trial_not_running",
        )
    indicators = indicators_of(session, trial.workspace_id)
    known = {i.key for i in indicators}
    unknown = sorted({r["metric"] for r in rows} - known)
    if unknown:
        raise ValidationFailed(
            f"Unknown metric{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Metrics are indicator keys: {', '.join(sorted(known)) or 'none defined yet'}.",
            fields={"metric": [f"Unknown: {', '.join(unknown)}."]},
            code="unknown_metric",
        )
    stats, backwards = _update_stats(session, trial.id, rows)
    results, outcome = live_results(indicators, stats)
    metrics = sorted({r["metric"] for r in rows})
    response = {
        "trial_id": trial.id,
        "count": len(rows),
        "metrics": metrics,
        "client_key": client_key,
        "outcome": outcome,
        "results": results,
    }
    # The answer is known before the batch row is written: one INSERT, no UPDATE.
    batch = MeasurementBatch(
        trial_id=trial.id,
        client_key=client_key,
        count=len(rows),
        created_by_id=actor.id,
        response=response,
    )
    session.add(batch)
    session.flush()
    _insert_rows(session, trial.id, batch.id, rows)
    if backwards:
        _refold_order(session, trial.id, stats, backwards)
    sample = [
        {
            "metric": r["metric"],
            "value": r["value"],
            "recorded_at": iso_utc(r["recorded_at"]),
            "source": r["source"],
        }
        for r in rows[-EVENT_SAMPLE:]
    ]
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
            "latest": sample,
        },
        actor,
    )
    if live:  # inside this transaction, with the new rows: control-chart rules
        react(session, ev.TRIAL_MEASUREMENTS_RECORDED, trial, rows, actor)
    return response, False


COLUMNS = ("trial_id", "batch_id", "metric", "value", "recorded_at", "source")


def _insert_rows(
    session: Session, trial_id: int, batch_id: int, rows: list[dict[str, Any]]
) -> None:
    """Store a batch's readings. Nothing here needs them back as ORM objects,
    and the ORM's bulk path cost more than the insert itself at 10,000 rows:
    PostgreSQL gets one COPY (psycopg otherwise sends one prepared INSERT per
    row), SQLite one Core executemany."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY measurements ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (trial_id, batch_id, r["metric"], r["value"], r["recorded_at"], r["source"])
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
            for r in rows
        ],
    )


def _update_stats(
    session: Session, trial_id: int, rows: list[dict[str, Any]]
) -> tuple[dict[str, MetricStats], list[str]]:
    """Fold the batch into the running aggregates (the trial row is locked, so
    read-modify-write is safe). Folded in plain Python, then each metric's row
    is set once: setting ORM attributes per reading cost more than storing the
    readings. Returns the stats and the metrics whose batch went back in time
    (a reading older than the metric's last): their first value and moving
    ranges are re-read once the readings are stored (`_refold_order`)."""
    stats = {
        s.metric: s
        for s in session.scalars(select(MetricStats).where(MetricStats.trial_id == trial_id))
    }
    # count, total, min, max, last value, last time, first value, moving ranges
    folded: dict[str, list[Any]] = {
        m: [
            s.count,
            s.total,
            s.minimum,
            s.maximum,
            s.last_value,
            s.last_recorded_at,
            s.first_value,
            s.moving_range_total,
        ]
        for m, s in stats.items()
    }
    backwards: set[str] = set()
    for r in rows:
        value, at = r["value"], r["recorded_at"]
        f = folded.get(r["metric"])
        if f is None:
            folded[r["metric"]] = [1, value, value, value, value, at, value, 0.0]
            continue
        f[0] += 1
        f[1] += value
        if value < f[2]:
            f[2] = value
        if value > f[3]:
            f[3] = value
        # Later (or equally timed, later sent: a higher id) readings are the
        # `last` one, and extend the moving ranges in recorded order.
        if at >= f[5]:
            f[7] += abs(value - f[4])
            f[4], f[5] = value, at
        else:
            backwards.add(r["metric"])
    for metric, (count, total, low, high, last, at, first, ranges) in folded.items():
        s = stats.get(metric)
        if s is None:
            s = stats[metric] = MetricStats(trial_id=trial_id, metric=metric)
            session.add(s)
        elif s.count == count:
            continue  # not in this batch
        s.count, s.total, s.minimum, s.maximum = count, total, low, high
        s.last_value, s.last_recorded_at = last, at
        s.first_value, s.moving_range_total = first, ranges
    return stats, sorted(backwards)


def _refold_order(
    session: Session, trial_id: int, stats: dict[str, MetricStats], metrics: list[str]
) -> None:
    """Readings recorded before a metric's last one (a backfill, an import of
    the past) land inside its recorded order: its first value and moving
    ranges are read again from its readings, in the database. The one case
    whose cost grows with the trial; a line streaming live never takes it."""
    for metric in metrics:
        ordered = (
            select(
                Measurement.value.label("value"),
                func.lag(Measurement.value)
                .over(order_by=(Measurement.recorded_at, Measurement.id))
                .label("previous"),
            )
            .where(Measurement.trial_id == trial_id, Measurement.metric == metric)
            .subquery()
        )
        ranges = session.scalar(
            select(func.coalesce(func.sum(func.abs(ordered.c.value - ordered.c.previous)), 0.0))
        )
        first = session.scalar(
            select(Measurement.value)
            .where(Measurement.trial_id == trial_id, Measurement.metric == metric)
            .order_by(Measurement.recorded_at, Measurement.id)
            .limit(1)
        )
        stats[metric].moving_range_total = float(ranges or 0.0)
        if first is not None:
            stats[metric].first_value = first


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
