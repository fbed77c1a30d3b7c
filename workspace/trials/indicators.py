"""Indicators: what a workspace measures, and the rules for changing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, require_row, require_workspace
from workspace.auth.models import User
from workspace.errors import Conflict, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import apply_changes, record_event
from workspace.milestones.models import Milestone
from workspace.trials.models import Indicator, Measurement, Trial
from workspace.trials.results import indicators_of


def indicator_payload(ind: Indicator) -> dict[str, Any]:
    return {
        "id": ind.id,
        "key": ind.key,
        "label": ind.label,
        "unit": ind.unit,
        "comparator": ind.comparator,
        "target": ind.target,
        "aggregate": ind.aggregate,
        "lower_spec": ind.lower_spec,
        "upper_spec": ind.upper_spec,
    }


def list_indicators(session: Session, actor: User, workspace_id: int) -> list[Indicator]:
    require_workspace(session, actor, workspace_id, Need.READ)
    return indicators_of(session, workspace_id)


def create_indicator(
    session: Session, actor: User, workspace_id: int, data: dict[str, Any]
) -> Indicator:
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    taken = session.scalar(
        select(Indicator.id).where(Indicator.workspace_id == ws.id, Indicator.key == data["key"])
    )
    if taken is not None:
        raise Conflict(
            f"This workspace already has an indicator `{data['key']}`.",
            fields={"key": ["Already used in this workspace."]},
        )
    ind = Indicator(workspace_id=ws.id, **data)
    session.add(ind)
    session.flush()
    record_event(session, ws.id, ev.INDICATOR_CREATED, {"indicator": indicator_payload(ind)}, actor)
    return ind


def update_indicator(
    session: Session, actor: User, indicator_id: int, changes: dict[str, Any]
) -> Indicator:
    ind = require_row(session, actor, Indicator, indicator_id, Need.EDIT, "Indicator not found.")
    merged = {"lower_spec": ind.lower_spec, "upper_spec": ind.upper_spec, **changes}
    low, high = merged["lower_spec"], merged["upper_spec"]
    if low is not None and high is not None and low >= high:
        raise ValidationFailed(
            "The lower specification limit must be below the upper one.",
            fields={"lower_spec": ["Must be below upper_spec."]},
        )
    changed = apply_changes(ind, changes)
    if changed:
        session.flush()
        record_event(
            session,
            ind.workspace_id,
            ev.INDICATOR_UPDATED,
            {"indicator": indicator_payload(ind), "changes": changed},
            actor,
        )
    return ind


def delete_indicator(session: Session, actor: User, indicator_id: int) -> None:
    """Only an indicator nothing stands on: measurements carry its key and
    milestone criteria its id, and both would lose their meaning (409 naming
    which)."""
    ind = require_row(session, actor, Indicator, indicator_id, Need.EDIT, "Indicator not found.")
    measured = session.scalars(
        select(Trial.number)
        .join(Measurement, Measurement.trial_id == Trial.id)
        .where(Trial.workspace_id == ind.workspace_id, Measurement.metric == ind.key)
        .group_by(Trial.number)
        .order_by(Trial.number)
        .limit(6)
    ).all()
    if measured:
        numbers = [f"#{n}" for n in measured[:5]] + (["…"] if len(measured) > 5 else [])
        raise Conflict(
            f"Trials {', '.join(numbers)} have measurements of `{ind.key}`; an "
            "indicator with measurements stays.",
            code="indicator_measured",
            fields={"trials": numbers},
        )
    criteria = session.scalars(
        select(Milestone).where(Milestone.workspace_id == ind.workspace_id).order_by(Milestone.id)
    ).all()
    using = [
        m.title
        for m in criteria
        if m.criteria
        and isinstance(m.criteria.get("indicators"), list)
        and ind.id in m.criteria["indicators"]
    ]
    if using:
        raise Conflict(
            f"The criteria of the milestones {', '.join(using)} use `{ind.key}`; "
            "change them first.",
            code="indicator_in_criteria",
            fields={"milestones": using},
        )
    payload = indicator_payload(ind)
    session.delete(ind)
    session.flush()
    record_event(session, ind.workspace_id, ev.INDICATOR_DELETED, {"indicator": payload}, actor)
