"""The dashboard as one answer: the rows (a page of them), totals over all
rows and the event id to follow live changes from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspace_ids
from workspace.auth.models import User
from workspace.dashboard.query import Filters, dashboard_rows, dashboard_totals, totals
from workspace.events.log import latest_event_id
from workspace.events.models import Event
from workspace.http import cursor_int

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
    rows = dashboard_rows(session, user, filters_from(query))
    offset = cursor_int(query.get("cursor"))
    limit = query.get("limit", 500)
    page = rows[offset:offset + limit]
    more = offset + limit < len(rows)
    return {"items": page, "next_cursor": str(offset + limit) if more else None,
            "totals": totals(rows), "last_event_id": last_id}


def dashboard_totals_only(session: Session, user: User, query: dict[str, Any]) -> dict[str, Any]:
    return dashboard_totals(session, user, filters_from(query))


def recent_feed(session: Session, user: User, limit: int = 50) -> tuple[list[Event], int]:
    """The newest feed events (oldest first) and the id to resume after."""
    last_id = latest_event_id(session)
    ids = readable_workspace_ids(session, user)
    rows = newest_feed_events(session, ids, limit)
    return rows, last_id


def newest_feed_events(session: Session, ids: list[int] | None, limit: int) -> list[Event]:
    wanted = or_(Event.type.startswith("milestone."),
                 Event.type.in_(("statement.agreed", "trial.completed")))
    stmt = select(Event).where(wanted).order_by(Event.id.desc()).limit(limit)
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(Event.workspace_id.in_(ids))
    return list(reversed(list(session.scalars(stmt))))

