"""The dashboard as one answer: the rows (a page of them), totals over all
rows and the event id to follow live changes from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.dashboard.query import DEFAULT_ROWS, Filters
from workspace.dashboard.rows import dashboard_page
from workspace.dashboard.totals import dashboard_totals
from workspace.events.log import latest_event_id
from workspace.events.models import Event
from workspace.http import cursor_int
from workspace.organizations.models import Organization
from workspace.spaces.models import Workspace

# What the live milestone feed shows (SPEC: milestone.*, statement.agreed,
# trial.completed).
FEED_TYPES = ["milestone.*", "statement.agreed", "trial.completed"]


def filters_from(query: dict[str, Any]) -> Filters:
    keys = ("organization_id", "status", "overdue", "q", "workspace_id", "sort", "order")
    return Filters(**{k: query[k] for k in keys if k in query})


def dashboard(session: Session, user: User, query: dict[str, Any]) -> dict[str, Any]:
    # Read the cursor first: a change committed while we query is then either
    # in the rows or replayed to the subscriber, never lost between the two.
    last_id = latest_event_id(session)
    offset = cursor_int(query.get("cursor"))
    limit = query.get("limit", DEFAULT_ROWS)
    page, sums, more = dashboard_page(session, user, filters_from(query), offset, limit)
    return {
        "items": page,
        "next_cursor": str(offset + limit) if more else None,
        "totals": sums,
        "last_event_id": last_id,
    }


def dashboard_totals_only(session: Session, user: User, query: dict[str, Any]) -> dict[str, Any]:
    return dashboard_totals(session, user, filters_from(query))


def workspace_index(session: Session, user: User) -> tuple[dict[int, str], list[dict[str, Any]]]:
    """Titles of every readable workspace (the feed names them) and the
    organizations among them (the filter's choices), without their rows."""
    readable = readable_workspaces(session, user)
    ent, uni = aliased(Organization), aliased(Organization)
    stmt = (
        select(Workspace.id, Workspace.title, ent.id, ent.name, uni.id, uni.name)
        .join(ent, ent.id == Workspace.enterprise_id)
        .join(uni, uni.id == Workspace.university_id)
    )
    if readable is not None:
        stmt = stmt.where(Workspace.id.in_(readable))
    titles: dict[int, str] = {}
    orgs: dict[int, dict[str, Any]] = {}
    for wid, title, eid, ename, uid, uname in session.execute(stmt):
        titles[wid] = title
        orgs.setdefault(eid, {"id": eid, "name": ename})
        orgs.setdefault(uid, {"id": uid, "name": uname})
    return titles, sorted(orgs.values(), key=lambda o: o["name"].lower())


def recent_feed(session: Session, user: User, limit: int = 50) -> tuple[list[Event], int]:
    """The newest feed events (oldest first) and the id to resume after."""
    last_id = latest_event_id(session)
    rows = newest_feed_events(session, readable_workspaces(session, user), limit)
    return rows, last_id


def newest_feed_events(session: Session, readable: Select | None, limit: int) -> list[Event]:
    """The newest feed events (oldest first) in the workspaces `readable`
    selects (None: every workspace)."""
    wanted = or_(
        Event.type.startswith("milestone."), Event.type.in_(("statement.agreed", "trial.completed"))
    )
    stmt = select(Event).where(wanted).order_by(Event.id.desc()).limit(limit)
    if readable is not None:
        stmt = stmt.where(Event.workspace_id.in_(readable))
    return list(reversed(list(session.scalars(stmt))))
