"""A trial's results: live from the running aggregates, or as fixed at completion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.trials.models import Indicator, MetricStats, Trial
from workspace.trials.outcome import Target, finalize, outcome_of, results_for


def indicators_of(session: Session, workspace_id: int) -> list[Indicator]:
    return list(
        session.scalars(
            select(Indicator).where(Indicator.workspace_id == workspace_id).order_by(Indicator.id)
        )
    )


def targets(indicators: list[Indicator]) -> list[Target]:
    return [Target(i.id, i.key, i.comparator, i.target, i.aggregate) for i in indicators]


def stats_of(session: Session, trial_ids: list[int]) -> dict[int, dict[str, MetricStats]]:
    out: dict[int, dict[str, MetricStats]] = {tid: {} for tid in trial_ids}
    if not trial_ids:
        return out
    for row in session.scalars(select(MetricStats).where(MetricStats.trial_id.in_(trial_ids))):
        out[row.trial_id][row.metric] = row
    return out


def aggregate_of(stats: MetricStats | None, kind: str) -> float | None:
    if stats is None or not stats.count:
        return None
    return {
        "mean": lambda: stats.total / stats.count,
        "min": lambda: stats.minimum,
        "max": lambda: stats.maximum,
        "last": lambda: stats.last_value,
    }[kind]()


def live_results(
    indicators: list[Indicator], stats: dict[str, MetricStats], final: bool = False
) -> tuple[dict[str, dict[str, Any]], str]:
    ts = targets(indicators)
    aggregates = {t.key: aggregate_of(stats.get(t.key), t.aggregate) for t in ts}
    results = results_for(ts, aggregates)
    if final:
        results = finalize(results)
    return results, outcome_of(results, final)


def results_of_trials(
    session: Session, trials: list[Trial]
) -> dict[int, tuple[dict[str, dict[str, Any]], str, int]]:
    """(results, outcome, measurement count) per trial id, fixed or live."""
    if not trials:
        return {}
    by_ws: dict[int, list[Indicator]] = {}
    stats = stats_of(session, [t.id for t in trials])
    out = {}
    for trial in trials:
        count = sum(s.count for s in stats[trial.id].values())
        if trial.results is not None and trial.outcome is not None:
            out[trial.id] = (trial.results, trial.outcome, count)
            continue
        if trial.workspace_id not in by_ws:
            by_ws[trial.workspace_id] = indicators_of(session, trial.workspace_id)
        results, outcome = live_results(by_ws[trial.workspace_id], stats[trial.id])
        out[trial.id] = (results, outcome, count)
    return out
