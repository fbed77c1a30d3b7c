"""Milestones as iCalendar events: one workspace's feed here, the manager's
portfolio feed in workspace/feeds. Both build events the same way, so a
calendar subscribed to both shows each milestone once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from workspace.db import utcnow
from workspace.milestones.models import Milestone
from workspace.safe_text import for_ical
from workspace.spaces.models import Workspace

STATUS_MARK = {"open": "", "reached": "✓ ", "missed": "✗ "}


def calendar_ics(
    prodid: str, name: str, public_url: str, rows: Iterable[tuple[str | None, Milestone]]
) -> bytes:
    """`rows` pairs each milestone with the workspace title to prefix its
    summary with (None: no prefix). Milestones without a due date are left out."""
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", for_ical(name))
    host = urlsplit(public_url).hostname or "jointlab"
    base = public_url.rstrip("/")
    stamp = utcnow()
    for ws_title, m in rows:
        if m.due_date is not None:
            cal.add_component(_event(m, ws_title, host, base, stamp))
    return cal.to_ical()


def _event(m: Milestone, ws_title: str | None, host: str, base: str, stamp: datetime) -> Event:
    event = Event()
    # The UID is the milestone's, whichever feed carries it.
    event.add("uid", f"milestone-{m.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("last-modified", m.updated_at)
    event.add("dtstart", m.due_date)
    event.add("dtend", m.due_date + timedelta(days=1))
    prefix = f"{ws_title}: " if ws_title else ""
    event.add("summary", for_ical(f"{STATUS_MARK.get(m.status, '')}{prefix}{m.title}"))
    if m.description:
        event.add("description", for_ical(m.description, multiline=True))
    event.add("categories", [m.status])
    event.add("status", "CANCELLED" if m.status == "missed" else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    # The same place the feed, mails and bots link to.
    event.add("url", f"{base}/workspaces/{m.workspace_id}#milestone-{m.id}")
    return event


def milestones_ics(ws: Workspace, milestones: list[Milestone], public_url: str) -> bytes:
    return calendar_ics(
        "-//JointLab//Milestones//EN",
        f"{ws.title} · milestones",
        public_url,
        ((None, m) for m in milestones),
    )
