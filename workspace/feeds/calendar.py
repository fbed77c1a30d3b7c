"""Every overseen milestone in one iCalendar feed (`?token=` with a read token)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.milestones.models import Milestone
from workspace.workspaces.models import Workspace

STATUS_MARK = {"open": "", "reached": "✓ ", "missed": "✗ "}


def portfolio_milestones(session: Session, user: User) -> list[tuple[str, Milestone]]:
    readable = readable_workspaces(session, user)
    stmt = (select(Workspace.title, Milestone).join(Workspace, Workspace.id ==
                                                    Milestone.workspace_id)
            .where(Milestone.due_date.is_not(None)).order_by(Milestone.due_date, Milestone.id))
    if readable is not None:
        stmt = stmt.where(Milestone.workspace_id.in_(readable))
    return [(title, m) for title, m in session.execute(stmt).all()]


def portfolio_ics(user: User, rows: list[tuple[str, Milestone]], public_url: str,
                  calendar_name: str) -> bytes:
    host = urlsplit(public_url).hostname or "jointlab"
    base = public_url.rstrip("/")
    cal = Calendar()
    cal.add("prodid", "-//JointLab//Portfolio milestones//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    stamp = utcnow()
    for ws_title, m in rows:
        event = Event()
        # The same UID as the per-workspace feed: a calendar subscribed to
        # both shows each milestone once.
        event.add("uid", f"milestone-{m.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("last-modified", m.updated_at)
        event.add("dtstart", m.due_date)
        event.add("dtend", m.due_date + timedelta(days=1))
        event.add("summary", f"{STATUS_MARK.get(m.status, '')}{ws_title}: {m.title}")
        if m.description:
            event.add("description", m.description)
        event.add("categories", [m.status])
        event.add("status", "CANCELLED" if m.status == "missed" else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        event.add("url", f"{base}/workspaces/{m.workspace_id}#milestone-{m.id}")
        cal.add_component(event)
    return cal.to_ical()
