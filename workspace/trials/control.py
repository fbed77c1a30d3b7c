"""Control charts over the database: baseline limits per indicator, and the
Western Electric check run on every batch (→ `trial.alert`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.trials.models import Indicator, Measurement, MetricStats, Trial
from workspace.trials.service import trial_ref
from workspace.trials.spc import D2, Limits, Signal, cpk, limits_of, western_electric

CONTEXT_POINTS = 7  # rule 4 looks back eight points


@dataclass
class ControlView:
    indicator: Indicator
    limits: Limits | None
    baseline_ids: list[int]
    values: list[float]
    signals: list[Signal]
    cpk: float | None


def baseline_trials(session: Session, trial: Trial) -> list[int]:
    """Trials marked as baseline; else every completed trial except this one."""
    # One query for both cases: it runs on every batch a line posts.
    rows = session.execute(
        select(Trial.id, Trial.baseline)
        .where(
            Trial.workspace_id == trial.workspace_id,
            or_(Trial.baseline.is_(True), and_(Trial.status == "completed", Trial.id != trial.id)),
        )
        .order_by(Trial.id)
    ).all()
    chosen = [tid for tid, marked in rows if marked]
    return chosen or [tid for tid, _marked in rows]


def baseline_limits(session: Session, trial_ids: list[int], metric: str) -> Limits | None:
    """The limits of the baseline's readings, one after another (trial by trial,
    each in recorded order), from their running aggregates: one small query
    however many readings the baseline holds, and the same figures as the
    readings' own mean and moving-range sigma (`spc.limits_of`)."""
    if not trial_ids:
        return None
    rows = session.scalars(
        select(MetricStats)
        .where(
            MetricStats.trial_id.in_(trial_ids), MetricStats.metric == metric, MetricStats.count > 0
        )
        .order_by(MetricStats.trial_id)
    ).all()
    count = sum(r.count for r in rows)
    if count < 2:
        return None
    ranges = sum(r.moving_range_total for r in rows)
    # Where one trial's readings end and the next one's begin is a moving range too.
    ranges += sum(abs(b.first_value - a.last_value) for a, b in zip(rows, rows[1:], strict=False))
    return limits_of(sum(r.total for r in rows) / count, (ranges / (count - 1)) / D2)


def recent_values(session: Session, trial_id: int, metric: str, limit: int) -> list[float]:
    rows = session.scalars(
        select(Measurement.value)
        .where(Measurement.trial_id == trial_id, Measurement.metric == metric)
        .order_by(Measurement.recorded_at.desc(), Measurement.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def control_views(
    session: Session, trial: Trial, indicators: list[Indicator], points: int = 120
) -> list[ControlView]:
    baseline = baseline_trials(session, trial)
    out = []
    for ind in indicators:
        values = recent_values(session, trial.id, ind.key, points)
        limits = baseline_limits(session, baseline, ind.key)
        signals = western_electric(values, limits) if limits else []
        out.append(
            ControlView(
                ind, limits, baseline, values, signals, cpk(values, ind.lower_spec, ind.upper_spec)
            )
        )
    return out


def check_batch(session: Session, trial: Trial, counts: Mapping[str, int], actor: User) -> None:
    """One `trial.alert` per metric whose new points break a rule; `counts`:
    how many new readings each metric has (they are its latest points)."""
    session.flush()
    baseline: list[int] | None = None
    for metric, new in sorted(counts.items()):
        if baseline is None:
            baseline = baseline_trials(session, trial)
        limits = baseline_limits(session, baseline, metric)
        if limits is None:
            continue
        values = recent_values(session, trial.id, metric, new + CONTEXT_POINTS)
        signals = western_electric(values, limits, start=len(values) - new)
        if not signals:
            continue
        rules = sorted({s.rule for s in signals})
        first = signals[0]
        record_event(
            session,
            trial.workspace_id,
            ev.TRIAL_ALERT,
            {
                "trial": trial_ref(trial),
                "metric": metric,
                "rules": rules,
                "rule": first.description,
                "value": values[first.index],
                "points": len(signals),
                "centre": limits.centre,
                "ucl": limits.ucl,
                "lcl": limits.lcl,
            },
            actor,
        )
