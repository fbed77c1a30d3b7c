"""Trials: the rules (numbering, transitions, concurrency)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workspace.auth.access import Need, require_row, require_workspace
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.errors import Conflict, PreconditionFailed, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import apply_changes, record_event
from workspace.files.models import StoredFile
from workspace.house import react
from workspace.spaces.models import Workspace
from workspace.trials.models import Trial, TrialCounter
from workspace.trials.results import indicators_of, live_results, results_of_trials, stats_of

# planned → running → completed | aborted; nothing else.
TRANSITIONS = {"planned": {"running"}, "running": {"completed", "aborted"}}


def trial_ref(trial: Trial) -> dict[str, Any]:
    return {
        "id": trial.id,
        "number": trial.number,
        "title": trial.title,
        "status": trial.status,
        "parent_id": trial.parent_id,
    }


def trial_payloads(session: Session, trials: list[Trial]) -> list[dict[str, Any]]:
    computed = results_of_trials(session, trials)
    out = []
    for t in trials:
        results, outcome, count = computed[t.id]
        out.append(
            {
                "id": t.id,
                "workspace_id": t.workspace_id,
                "number": t.number,
                "parent_id": t.parent_id,
                "title": t.title,
                "line": t.line,
                "batch": t.batch,
                "hypothesis": t.hypothesis,
                "parameters": t.parameters,
                "status": t.status,
                "outcome": outcome,
                "results": results,
                "baseline": t.baseline,
                "measurement_count": count,
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "started_at": t.started_at,
                "finished_at": t.finished_at,
                "etag": t.etag,
            }
        )
    return out


def trial_payload(session: Session, trial: Trial) -> dict[str, Any]:
    return trial_payloads(session, [trial])[0]


def get_trial(
    session: Session, actor: User, trial_id: int, need: Need = Need.READ, lock: bool = False
) -> Trial:
    # lock: serialises writers of one trial (status changes, measurements, edits).
    return require_row(session, actor, Trial, trial_id, need, "Trial not found.", lock=lock)


def list_trials(
    session: Session,
    actor: User,
    workspace_id: int,
    after_id: int,
    limit: int,
    status: str | None = None,
) -> list[Trial]:
    require_workspace(session, actor, workspace_id, Need.READ)
    stmt = select(Trial).where(Trial.workspace_id == workspace_id, Trial.id > after_id)
    if status:
        stmt = stmt.where(Trial.status == status)
    return list(session.scalars(stmt.order_by(Trial.id).limit(limit + 1)))


def _check_parent(
    session: Session, workspace_id: int, parent_id: int | None, trial_id: int | None = None
) -> None:
    if parent_id is None:
        return
    parent = session.get(Trial, parent_id)
    if parent is None or parent.workspace_id != workspace_id:
        raise ValidationFailed(
            "Unknown parent trial.", fields={"parent_id": ["No such trial in this workspace."]}
        )
    # A trial cannot refine itself or one of its own descendants.
    seen = set()
    while parent is not None and parent.id not in seen:
        if parent.id == trial_id:
            raise ValidationFailed(
                "A trial cannot refine itself or its descendants.",
                fields={"parent_id": ["Would make a cycle."]},
            )
        seen.add(parent.id)
        parent = session.get(Trial, parent.parent_id) if parent.parent_id else None


def _next_number(session: Session, workspace_id: int) -> int:
    # Locking the workspace row makes concurrent creators take turns on
    # PostgreSQL (SQLite already holds its write lock); the unique constraint
    # on (workspace_id, number) is the backstop.
    session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
    last = session.scalar(select(func.max(Trial.number)).where(Trial.workspace_id == workspace_id))
    counter = session.get(TrialCounter, workspace_id)
    if counter is None:
        counter = TrialCounter(workspace_id=workspace_id, last_number=0)
        session.add(counter)
    counter.last_number = max(counter.last_number, last or 0) + 1
    return counter.last_number


def create_trial(session: Session, actor: User, workspace_id: int, data: dict[str, Any]) -> Trial:
    ws = require_workspace(session, actor, workspace_id, Need.EDIT)
    _check_parent(session, ws.id, data.get("parent_id"))
    trial = Trial(
        workspace_id=ws.id,
        number=_next_number(session, ws.id),
        created_by_id=actor.id,
        status="planned",
        **data,
    )
    session.add(trial)
    session.flush()
    record_event(session, ws.id, ev.TRIAL_CREATED, {"trial": _event_trial(trial)}, actor)
    return trial


def _event_trial(trial: Trial) -> dict[str, Any]:
    return {
        **trial_ref(trial),
        "line": trial.line,
        "batch": trial.batch,
        "parameters": trial.parameters,
    }


def start_next_iteration(
    session: Session, actor: User, trial_id: int, data: dict[str, Any]
) -> Trial:
    parent = get_trial(session, actor, trial_id, Need.EDIT)
    parameters = {**(parent.parameters or {}), **data.get("parameters", {})}
    return create_trial(
        session,
        actor,
        parent.workspace_id,
        {
            "title": data.get("title") or "",
            "parent_id": parent.id,
            "line": parent.line,
            "batch": data.get("batch", ""),
            "hypothesis": data.get("hypothesis", ""),
            "parameters": parameters,
        },
    )


def delete_trial(session: Session, actor: User, trial_id: int, if_match: str | None = None) -> None:
    """A planned trial was never run: it can go. A running or finished one is
    the record of what the line did (409)."""
    trial = get_trial(session, actor, trial_id, Need.EDIT, lock=True)
    check_if_match(trial, if_match)
    if trial.status != "planned":
        raise Conflict(
            f"Trial #{trial.number} is {trial.status}; only a planned trial can be deleted.",
            code="trial_not_planned",
        )
    ref = trial_ref(trial)
    # Its next iterations now refine nothing and its files stay in the workspace
    # (explicit, as the foreign keys' SET NULL would do where enforced).
    session.execute(
        update(Trial)
        .where(Trial.parent_id == trial.id)
        .values(parent_id=None, version=Trial.version + 1)
    )
    session.execute(update(StoredFile).where(StoredFile.trial_id == trial.id).values(trial_id=None))
    session.delete(trial)
    session.flush()
    record_event(session, trial.workspace_id, ev.TRIAL_DELETED, {"trial": ref}, actor)


def check_if_match(trial: Trial, if_match: str | None) -> None:
    """No header: last write wins (scripts); a stale one: 412."""
    if if_match is None:
        return
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in tags and trial.etag not in tags:
        raise PreconditionFailed(
            f"Trial #{trial.number} was changed by someone else since you loaded it; "
            "reload it and apply your change again.",
            fields={"etag": [trial.etag]},
        )


LOCKED_WHEN_FINISHED = ("line", "batch", "parameters", "parent_id")


def update_trial(
    session: Session,
    actor: User,
    trial_id: int,
    changes: dict[str, Any],
    if_match: str | None = None,
) -> Trial:
    trial = get_trial(session, actor, trial_id, Need.EDIT, lock=True)
    check_if_match(trial, if_match)
    finished = trial.status in ("completed", "aborted")
    if finished:
        frozen = sorted(
            k for k in LOCKED_WHEN_FINISHED if k in changes and changes[k] != getattr(trial, k)
        )
        if frozen:
            raise Conflict(
                f"Trial #{trial.number} is {trial.status}; its "
                f"{', '.join(frozen)} can no longer change.",
                fields={k: ["Fixed once the trial finished."] for k in frozen},
            )
    if "parent_id" in changes:
        _check_parent(session, trial.workspace_id, changes["parent_id"], trial.id)
    status = changes.pop("status", None)
    changed = apply_changes(trial, changes)
    if changed:
        trial.version += 1
        session.flush()
        record_event(
            session,
            trial.workspace_id,
            ev.TRIAL_UPDATED,
            {"trial": trial_ref(trial), "changes": changed},
            actor,
        )
    if status is not None and status != trial.status:
        change_status(session, actor, trial, status)
    return trial


def change_status(session: Session, actor: User, trial: Trial, status: str) -> None:
    if status not in TRANSITIONS.get(trial.status, set()):
        allowed = sorted(TRANSITIONS.get(trial.status, set()))
        hint = f"it can go to {' or '.join(allowed)}" if allowed else "it is finished"
        raise Conflict(
            f"Trial #{trial.number} cannot go from {trial.status} to {status}: {hint}.",
            fields={"status": [f"{trial.status} → {status} is not allowed."]},
            code="invalid_transition",
        )
    previous = trial.status
    now = utcnow()
    trial.status = status
    trial.version += 1
    if status == "running":
        trial.started_at = now
    else:
        trial.finished_at = now
        stats = stats_of(session, [trial.id])[trial.id]
        results, outcome = live_results(
            indicators_of(session, trial.workspace_id), stats, final=True
        )
        trial.results = results
        # An aborted trial proved nothing, whatever it measured.
        trial.outcome = outcome if status == "completed" else "failed"
    session.flush()
    record_event(
        session,
        trial.workspace_id,
        ev.TRIAL_STATUS_CHANGED,
        {"trial": trial_ref(trial), "from": previous, "status": status},
        actor,
    )
    if status == "completed":
        record_event(
            session,
            trial.workspace_id,
            ev.TRIAL_COMPLETED,
            {
                "trial": trial_ref(trial),
                "outcome": trial.outcome,
                "results": trial.results,
            },
            actor,
        )
        # Inside this transaction: milestones evaluate their criteria.
        react(session, ev.TRIAL_COMPLETED, trial, actor)
