"""Milestones as an iCalendar feed that calendar programs subscribe to."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from workspace.db import utcnow
from workspace.milestones.models import Milestone
from workspace.workspaces.models import Workspace

STATUS_MARK = {"open": "", "reached": "✓ ", "missed": "✗ "}


def milestones_ics(ws: Workspace, milestones: list[Milestone], public_url: str) -> bytes:
    host = urlsplit(public_url).hostname or "jointlab"
    cal = Calendar()
    cal.add("prodid", "-//JointLab//Milestones//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{ws.title} · milestones")
    stamp = utcnow()
    for m in milestones:
        if m.due_date is None:
            continue
        event = Event()
        event.add("uid", f"milestone-{m.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("last-modified", m.updated_at)
        event.add("dtstart", m.due_date)
        event.add("dtend", m.due_date + timedelta(days=1))
        event.add("summary", f"{STATUS_MARK.get(m.status, '')}{m.title}")
        if m.description:
            event.add("description", m.description)
        event.add("status", "CANCELLED" if m.status == "missed" else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        event.add("url", f"{public_url.rstrip('/')}/workspaces/{ws.id}/trials#milestones")
        cal.add_component(event)
    return cal.to_ical()
