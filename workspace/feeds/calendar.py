"""Every overseen milestone in one iCalendar feed (`?token=` with a read token)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.milestones.calendar import calendar_ics
from workspace.milestones.models import Milestone
from workspace.spaces.models import Workspace


def portfolio_milestones(session: Session, user: User) -> list[tuple[str, Milestone]]:
    readable = readable_workspaces(session, user)
    stmt = (
        select(Workspace.title, Milestone)
        .join(Workspace, Workspace.id == Milestone.workspace_id)
        .where(Milestone.due_date.is_not(None))
        .order_by(Milestone.due_date, Milestone.id)
    )
    if readable is not None:
        stmt = stmt.where(Milestone.workspace_id.in_(readable))
    return [(title, m) for title, m in session.execute(stmt).all()]


def portfolio_ics(rows: list[tuple[str, Milestone]], public_url: str, calendar_name: str) -> bytes:
    return calendar_ics("-//JointLab//Portfolio milestones//EN", calendar_name, public_url, rows)
