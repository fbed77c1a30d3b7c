"""A trial's running aggregates per metric (`trial_metric_stats`), folded one
batch at a time under the trial's row lock, and re-read from the readings when
a batch lands inside their recorded order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import add, sub
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from workspace.trials.models import Measurement, MetricStats
from workspace.trials.readings import Readings

FIELDS = (
    "count",
    "total",
    "minimum",
    "maximum",
    "last_value",
    "last_recorded_at",
    "first_value",
    "moving_range_total",
)
_TABLE = MetricStats.__table__


@dataclass(slots=True)
class Stats:
    """One metric's running aggregates, read and written with Core: the ORM's
    unit of work cost more per batch than the fold. Reads like a MetricStats
    row (`live_results` takes either)."""

    metric: str
    count: int
    total: float
    minimum: float
    maximum: float
    last_value: float
    last_recorded_at: datetime
    first_value: float
    moving_range_total: float
    stored: bool = True

    def values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


def stats_query(trial_id: int | ColumnElement[int]) -> Select:
    """The trial's running aggregates, one row per metric (`trial_id` may be
    a `bindparam`, for a statement built once)."""
    return select(_TABLE.c.metric, *(_TABLE.c[f] for f in FIELDS)).where(
        _TABLE.c.trial_id == trial_id
    )


def stats_by_metric(rows: Iterable[Sequence[Any]]) -> dict[str, Stats]:
    """`stats_query`'s rows (read under the trial's row lock) as the running
    aggregates by metric."""
    return {row[0]: Stats(*row) for row in rows}


def fold_rows(stats: dict[str, Stats], readings: Readings) -> list[str]:
    """Fold a batch into `stats`, in plain Python; `save_stats` writes them.
    Returns the metrics whose batch went back in time (a reading older than
    the metric's last): their first value and moving ranges are re-read once
    the readings are stored (`refold_order`). A writer storing several
    batches folds each in turn into the same `stats`."""
    backwards: set[str] = set()
    for metric, (values, times) in readings.by_metric().items():
        at = times[0]
        s = stats.get(metric)
        if s is None:
            value = values[0]
            s = stats[metric] = Stats(metric, 1, value, value, value, value, at, value, 0.0, False)
            values, times = values[1:], times[1:]
        # count, total, min, max, last value, last time, first value, moving ranges
        f = [getattr(s, name) for name in FIELDS]
        if values and times.count(at) == len(times) and at >= f[5]:
            _fold_forward(f, values, at)
        elif values:
            _fold_each(f, values, times, metric, backwards)
        for name, value in zip(FIELDS, f, strict=True):
            setattr(s, name, value)
    return sorted(backwards)


def save_stats(
    session: Session, trial_id: int, stats: dict[str, Stats], metrics: list[str]
) -> None:
    """Write the batch's metrics' aggregates: one executemany of UPDATEs, one
    INSERT for metrics seen the first time. A MetricStats row this session
    already holds is given the same figures, so it does not go stale."""
    changed = [stats[m] for m in metrics if stats[m].stored]
    if changed:
        session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.trial_id == bindparam("p_trial"), _TABLE.c.metric == bindparam("p_metric")
            )
            .values({f: bindparam(f"p_{f}") for f in FIELDS}),
            [
                {"p_trial": trial_id, "p_metric": s.metric}
                | {f"p_{f}": v for f, v in s.values().items()}
                for s in changed
            ],
        )
    new = [stats[m] for m in metrics if not stats[m].stored]
    if new:
        session.execute(
            insert(_TABLE), [{"trial_id": trial_id, "metric": s.metric} | s.values() for s in new]
        )
    for s in new:
        s.stored = True
    for metric in metrics:
        held = session.identity_map.get(identity_key(MetricStats, (trial_id, metric)))
        if held is not None:
            for f, v in stats[metric].values().items():
                set_committed_value(held, f, v)


def _fold_forward(f: list[Any], values: list[float], at: Any) -> None:
    """A live batch: every reading at one time, not before the metric's last.
    The same sums as `_fold_each`, added one after another in the same order
    (reduce, not sum(): a later Python's sum() compensates rounding)."""
    f[0] += len(values)
    f[1] = reduce(add, values, f[1])
    f[2] = min(f[2], min(values))
    f[3] = max(f[3], max(values))
    previous = [f[4], *values[:-1]]
    f[7] = reduce(add, map(abs, map(sub, values, previous)), f[7])
    f[4], f[5] = values[-1], at


def _fold_each(
    f: list[Any], values: list[float], times: list[Any], metric: str, backwards: set[str]
) -> None:
    for value, at in zip(values, times, strict=True):
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
            backwards.add(metric)


def refold_order(
    session: Session, trial_id: int, stats: dict[str, Stats], metrics: list[str]
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
