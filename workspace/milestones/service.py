"""Milestones: created, changed, reached by hand or by their criteria, missed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspace.auth.access import Need, require_row, require_workspace
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.errors import Conflict, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import apply_changes, record_event
from workspace.evidence.models import MilestoneTranche
from workspace.fields import iso_utc
from workspace.files.models import StoredFile
from workspace.milestones.criteria import Finished, Progress, progress
from workspace.milestones.models import Milestone
from workspace.trials import service as trials
from workspace.trials.models import Indicator, Trial

DUE_SOON_DAYS = 3


def today() -> date:
    return utcnow().date()


def milestone_payload(m: Milestone, prog: Progress | None = None) -> dict[str, Any]:
    open_ = m.status == "open" and m.due_date is not None
    return {
        "id": m.id,
        "workspace_id": m.workspace_id,
        "title": m.title,
        "description": m.description,
        "due_date": m.due_date,
        "status": m.status,
        "reached_at": m.reached_at,
        "reached_by_trial_id": m.reached_by_trial_id,
        "criteria": m.criteria,
        "progress": None
        if prog is None
        else {"streak": prog.streak, "needed": prog.needed, "indicators": list(prog.keys)},
        "due_soon": open_ and today() <= m.due_date <= today() + timedelta(DUE_SOON_DAYS),
        "overdue": open_ and m.due_date < today(),
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    }


def _event_payload(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "status": m.status,
        "due_date": m.due_date.isoformat() if m.due_date else None,
        "criteria": m.criteria,
        "reached_at": iso_utc(m.reached_at),
    }


def _indicator_keys(session: Session, workspace_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Indicator.id, Indicator.key).where(Indicator.workspace_id == workspace_id)
    )
    return dict(rows.all())


def _finished_trials(session: Session, workspace_id: int, limit: int) -> list[Finished]:
    rows = session.scalars(
        select(Trial)
        .where(Trial.workspace_id == workspace_id, Trial.status.in_(("completed", "aborted")))
        .order_by(Trial.finished_at.desc(), Trial.id.desc())
        .limit(limit)
    )
    return [Finished(t.status, t.results or {}) for t in rows]


def progress_of(session: Session, milestones: list[Milestone]) -> dict[int, Progress]:
    auto = [m for m in milestones if m.criteria]
    if not auto:
        return {}
    wid = auto[0].workspace_id
    keys = _indicator_keys(session, wid)
    finished = _finished_trials(session, wid, max(m.criteria["consecutive_trials"] for m in auto))
    return {m.id: progress(m.criteria, keys, finished) for m in auto}


def payloads(session: Session, milestones: list[Milestone]) -> list[dict[str, Any]]:
    progs = progress_of(session, milestones)
    return [milestone_payload(m, progs.get(m.id)) for m in milestones]


def list_milestones(session: Session, actor: User, workspace_id: int) -> list[Milestone]:
    require_workspace(session, actor, workspace_id, Need.READ)
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.workspace_id == workspace_id)
            .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
        )
    )


def _check_criteria(session: Session, workspace_id: int, criteria: dict[str, Any] | None) -> None:
    if not criteria or criteria["indicators"] == "all":
        return
    known = set(_indicator_keys(session, workspace_id))
    unknown = [i for i in criteria["indicators"] if i not in known]
    if unknown:
        raise ValidationFailed(
            "Unknown indicators in the criteria.",
            fields={
                "criteria": [f"No indicator {', '.join(map(str, unknown))} in this workspace."]
            },
        )


def get_milestone(
    session: Session, actor: User, milestone_id: int, need: Need = Need.READ, lock: bool = False
) -> Milestone:
    return require_row(
        session, actor, Milestone, milestone_id, need, "Milestone not found.", lock=lock
    )


def create_milestone(
    session: Session, actor: User, workspace_id: int, data: dict[str, Any]
) -> Milestone:
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    _check_criteria(session, ws.id, data.get("criteria"))
    m = Milestone(workspace_id=ws.id, created_by_id=actor.id, status="open", **data)
    session.add(m)
    session.flush()
    record_event(session, ws.id, ev.MILESTONE_CREATED, {"milestone": _event_payload(m)}, actor)
    evaluate_milestones(session, ws.id, actor, only=[m.id])
    return m


def update_milestone(
    session: Session, actor: User, milestone_id: int, changes: dict[str, Any]
) -> Milestone:
    status = changes.pop("status", None)
    # Each part of the change asks its own right, even one that changes
    # nothing: a viewer sending the status a milestone has is refused, not
    # answered as if they could have changed it.
    needs = [Need.EDIT] if changes or status is None else []
    needs += [Need.SET_STATUS] if status is not None else []
    m = get_milestone(session, actor, milestone_id, needs[0], lock=True)
    for need in needs[1:]:
        require_workspace(session, actor, m.workspace_id, need, missing="Milestone not found.")
    if status is not None and status != m.status and m.status == "reached":
        raise Conflict(
            "This milestone was reached; its status no longer changes.", code="milestone_reached"
        )
    if "criteria" in changes:
        _check_criteria(session, m.workspace_id, changes["criteria"])
    changed = apply_changes(m, changes)
    if "due_date" in changed:
        # A new date deserves its own reminders.
        m.due_soon_emitted_at = m.overdue_emitted_at = None
    if changed:
        session.flush()
        record_event(
            session,
            m.workspace_id,
            ev.MILESTONE_UPDATED,
            {"milestone": _event_payload(m), "changes": changed},
            actor,
        )
    if status is not None and status != m.status:
        m.status = status
        session.flush()
        kind = ev.MILESTONE_MISSED if status == "missed" else ev.MILESTONE_UPDATED
        record_event(
            session,
            m.workspace_id,
            kind,
            {"milestone": _event_payload(m), "changes": {"status": {"to": status}}},
            actor,
        )
    if "criteria" in changed and m.status == "open":
        evaluate_milestones(session, m.workspace_id, actor, only=[m.id])
    return m


def delete_milestone(session: Session, actor: User, milestone_id: int) -> None:
    """Owners and editors delete an open or missed milestone. A reached one is
    history that evidence packs and the portfolio stand on (as a closed GitLab
    milestone keeps its record): 409."""
    m = get_milestone(session, actor, milestone_id, Need.EDIT, lock=True)
    if m.status == "reached":
        raise Conflict(
            "This milestone was reached; it stays as the record of it.", code="milestone_reached"
        )

    if session.get(MilestoneTranche, m.id) is not None:
        # The tranche is the overseeing manager's record, not the team's to erase.
        raise Conflict(
            "This milestone carries a funding tranche; the program manager removes it first.",
            code="milestone_funded",
        )
    payload = _event_payload(m)
    workspace_id = m.workspace_id
    # Its files stay in the workspace, no longer attached (explicit: the
    # foreign key's SET NULL is not every database's default behaviour).
    session.execute(
        update(StoredFile).where(StoredFile.milestone_id == m.id).values(milestone_id=None)
    )
    session.delete(m)
    session.flush()
    record_event(session, workspace_id, ev.MILESTONE_DELETED, {"milestone": payload}, actor)


def reach_milestone(session: Session, actor: User, milestone_id: int) -> Milestone:
    m = get_milestone(session, actor, milestone_id, Need.EDIT, lock=True)
    if m.status != "open":
        raise Conflict(f"This milestone is already {m.status}.", code=f"milestone_{m.status}")
    _mark_reached(session, m, actor, trial=None)
    return m


def _mark_reached(session: Session, m: Milestone, actor: User | None, trial: Trial | None) -> None:
    m.status = "reached"
    m.reached_at = utcnow()
    m.reached_by_trial_id = trial.id if trial is not None else None
    session.flush()
    record_event(
        session,
        m.workspace_id,
        ev.MILESTONE_REACHED,
        {
            "milestone": _event_payload(m),
            "by": "hand" if trial is None else "criteria",
            "trial": None if trial is None else trials.trial_ref(trial),
        },
        actor,
    )


def evaluate_milestones(
    session: Session,
    workspace_id: int,
    actor: User | None,
    trial: Trial | None = None,
    only: list[int] | None = None,
) -> list[int]:
    """Reach every open automatic milestone whose criteria now hold.

    The open milestones are locked first (FOR UPDATE) and only then are the
    trials read, so when two completions race the second waits, then sees
    the first one's trial and the milestone already reached: one event.
    """
    stmt = (
        select(Milestone)
        .where(Milestone.workspace_id == workspace_id, Milestone.status == "open")
        .order_by(Milestone.id)
        .with_for_update()
    )
    if only is not None:
        stmt = stmt.where(Milestone.id.in_(only))
    reached = []
    candidates = [m for m in session.scalars(stmt) if m.criteria and m.status == "open"]
    for m, prog in progress_of(session, candidates).items():
        milestone = next(c for c in candidates if c.id == m)
        if prog.holds:
            _mark_reached(session, milestone, actor, trial)
            reached.append(m)
    return reached


def on_trial_completed(session: Session, trial: Trial, actor: User) -> None:
    """Reaction to a trial completing, in its transaction."""
    evaluate_milestones(session, trial.workspace_id, actor, trial=trial)
