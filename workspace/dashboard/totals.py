"""The dashboard's totals: workspaces, milestone counts, agreed statements and
funding per currency over every matching row, not just the page's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.dashboard.query import (
    COUNTS,
    Filters,
    chosen_workspaces,
    count_columns,
    overdue_milestone,
    raw_rows,
    row_filtered,
    workspace_conditions,
)
from workspace.dashboard.statement import agreed_subquery
from workspace.evidence.models import MilestoneTranche
from workspace.milestones.models import Milestone
from workspace.milestones.service import today


def money(value: Any) -> str:
    """An amount as the dashboard shows it: a string with two decimals."""
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def totals_of(session: Session, raw: list[Any], scope: Any) -> dict[str, Any]:
    return {
        "workspaces": len(raw),
        "with_overdue": sum(1 for r in raw if r.m_overdue),
        "milestones": {k: sum(int(getattr(r, f"m_{k}")) for r in raw) for k in COUNTS},
        "agreed": sum(1 for r in raw if r.agreed),
        "funding": funding_totals(session, scope) if raw else [],
    }


def funding_totals(session: Session, workspaces: Any) -> list[dict[str, str]]:
    """Funding per currency over `workspaces`: ids, or a SELECT of them."""
    sums = session.execute(
        select(
            MilestoneTranche.currency,
            func.sum(MilestoneTranche.amount),
            func.sum(case((Milestone.status == "reached", MilestoneTranche.amount), else_=0)),
        )
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspaces))
        .group_by(MilestoneTranche.currency)
        .order_by(MilestoneTranche.currency)
    )
    return [{"currency": c, "planned": money(p), "released": money(r)} for c, p, r in sums]


def dashboard_totals(session: Session, user: User, filters: Filters) -> dict[str, Any]:
    """The totals of `dashboard_page`, from aggregates alone.

    Every open dashboard refreshes its totals after each event it sees; with
    hundreds of managers watching, reading every row each time would make
    the server's work grow with managers × events × portfolio size."""
    if row_filtered(filters):
        raw = raw_rows(session, user, filters)
        return totals_of(session, raw, [r.id for r in raw])
    chosen = chosen_workspaces(workspace_conditions(session, user, filters))
    day = today()
    workspaces = session.scalar(select(func.count()).select_from(chosen.subquery()))
    m = session.execute(
        select(
            *count_columns(day),
            func.count(func.distinct(case((overdue_milestone(day), Milestone.workspace_id)))),
        ).where(Milestone.workspace_id.in_(chosen))
    ).one()
    statements = agreed_subquery()
    agreed = (
        0
        if statements is None
        else session.scalar(
            select(func.count())
            .select_from(statements)
            .where(
                statements.c.workspace_id.in_(chosen), statements.c.agreed_version_id.is_not(None)
            )
        )
    )
    return {
        "workspaces": int(workspaces or 0),
        "with_overdue": int(m[5] or 0),
        "milestones": {k: int(v or 0) for k, v in zip(COUNTS, m[:5], strict=True)},
        "agreed": int(agreed or 0),
        "funding": funding_totals(session, chosen) if workspaces else [],
    }
