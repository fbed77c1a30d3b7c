"""A trial's running aggregates per metric (`trial_metric_stats`), folded one
batch at a time under the trial's row lock, and re-read from the readings when
a batch lands inside their recorded order."""

from __future__ import annotations

from functools import reduce
from operator import add, sub
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workspace.trials.models import Measurement, MetricStats


def update_stats(
    session: Session, trial_id: int, rows: list[dict[str, Any]]
) -> tuple[dict[str, MetricStats], list[str]]:
    """Fold the batch into the running aggregates (the trial row is locked, so
    read-modify-write is safe). Folded in plain Python, then each metric's row
    is set once: setting ORM attributes per reading cost more than storing the
    readings. Returns the stats and the metrics whose batch went back in time
    (a reading older than the metric's last): their first value and moving
    ranges are re-read once the readings are stored (`refold_order`)."""
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
    for metric, (values, times) in _by_metric(rows).items():
        f = folded.get(metric)
        at = times[0]
        if f is None:
            value = values[0]
            f = folded[metric] = [1, value, value, value, value, at, value, 0.0]
            values, times = values[1:], times[1:]
        if not values:
            continue
        if times.count(at) == len(times) and at >= f[5]:
            _fold_forward(f, values, at)
        else:
            _fold_each(f, values, times, metric, backwards)
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


def _by_metric(rows: list[dict[str, Any]]) -> dict[str, tuple[list[float], list[Any]]]:
    """Each metric's values and times, in the batch's order."""
    out: dict[str, tuple[list[float], list[Any]]] = {}
    for r in rows:
        group = out.get(r["metric"])
        if group is None:
            group = out[r["metric"]] = ([], [])
        group[0].append(r["value"])
        group[1].append(r["recorded_at"])
    return out


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
