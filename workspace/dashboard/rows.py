"""The dashboard's rows shaped for a page or an export: the titles of each
row's next milestone and latest trial, and its funding, read for those rows only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.dashboard.query import (
    COUNTS,
    Filters,
    chosen_workspaces,
    raw_rows,
    row_filtered,
    workspace_conditions,
)
from workspace.dashboard.totals import money, totals_of
from workspace.evidence.models import MilestoneTranche
from workspace.milestones.models import Milestone
from workspace.trials.models import Trial


def _funding(session: Session, workspace_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not workspace_ids:
        return {}
    rows = session.execute(
        select(
            Milestone.workspace_id,
            MilestoneTranche.currency,
            func.sum(MilestoneTranche.amount),
            func.sum(case((Milestone.status == "reached", MilestoneTranche.amount), else_=0)),
        )
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspace_ids))
        .group_by(Milestone.workspace_id, MilestoneTranche.currency)
        .order_by(MilestoneTranche.currency)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for wid, currency, planned, released in rows:
        out.setdefault(wid, []).append(
            {"currency": currency, "planned": money(planned), "released": money(released)}
        )
    return out


def _details(session: Session, raw: list[Any]) -> tuple[dict[int, Any], dict[int, Any]]:
    """The next milestones and latest trials of these rows, by id."""
    milestone_ids = [r.next_id for r in raw if r.next_id is not None]
    trial_ids = [r.trial_id for r in raw if r.trial_id is not None]
    milestones = (
        {
            m.id: m
            for m in session.execute(
                select(Milestone.id, Milestone.title, Milestone.due_date).where(
                    Milestone.id.in_(milestone_ids)
                )
            )
        }
        if milestone_ids
        else {}
    )
    trials = (
        {
            t.id: t
            for t in session.execute(
                select(Trial.id, Trial.number, Trial.title, Trial.status, Trial.outcome).where(
                    Trial.id.in_(trial_ids)
                )
            )
        }
        if trial_ids
        else {}
    )
    return milestones, trials


def _shaped(session: Session, raw: list[Any]) -> list[dict[str, Any]]:
    funding = _funding(session, [r.id for r in raw])
    milestones, trials = _details(session, raw)
    return [
        _row(r, funding.get(r.id, []), milestones.get(r.next_id), trials.get(r.trial_id))
        for r in raw
    ]


def _row(r: Any, funding: list[dict[str, Any]], nxt: Any, trial: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "status": r.status,
        "enterprise": {"id": r.enterprise_id, "name": r.enterprise_name},
        "university": {"id": r.university_id, "name": r.university_name},
        "statement_agreed": None if r.agreed is None else bool(r.agreed),
        "latest_trial": None
        if trial is None
        else {
            "id": trial.id,
            "number": trial.number,
            "title": trial.title,
            "status": trial.status,
            "outcome": trial.outcome or "pending",
        },
        "next_milestone": None
        if nxt is None
        else {"id": nxt.id, "title": nxt.title, "due_date": nxt.due_date},
        "milestones": {k: int(getattr(r, f"m_{k}")) for k in COUNTS},
        "funding": funding,
    }


def dashboard_rows(session: Session, user: User, filters: Filters) -> list[dict[str, Any]]:
    """Every row, shaped (exports)."""
    return _shaped(session, raw_rows(session, user, filters))


def dashboard_page(
    session: Session, user: User, filters: Filters, offset: int, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """One page of shaped rows, the totals over every matching row, and
    whether more follow. Only the page's rows are shaped and carry funding."""
    conditions = workspace_conditions(session, user, filters)
    raw = raw_rows(session, user, filters, conditions)
    rows = _shaped(session, raw[offset : offset + limit])
    # Funding totals cover the same workspaces as the rows: named by SQL
    # unless the row filters (`q`, `overdue`) dropped some of them.
    scope = [r.id for r in raw] if row_filtered(filters) else chosen_workspaces(conditions)
    return rows, totals_of(session, raw, scope), offset + limit < len(raw)
