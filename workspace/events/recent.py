"""The activity panel of a page: a workspace's newest events, worded.

Only what is shown is read (a LIMIT in SQL): a busy workspace holds hundreds
of thousands of events, and a panel shows a few dozen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workspace.events.log import latest_workspace_events
from workspace.events.presentation import sentence, words


def activity_panel(session: Session, workspace_id: int, shown: int) -> dict[str, Any]:
    """Template context for an activity panel: `activity` (newest first),
    `last_seq` (where the live socket resumes), `event_templates`, and
    `activity_more`, true when older events exist than those shown.

    One event beyond `shown` is read so the panel can say that there are
    more without counting them all."""
    events = latest_workspace_events(session, workspace_id, shown + 1)  # oldest first
    more = len(events) > shown
    if more:
        events = events[1:]
    table = words()
    return {
        "activity": [(e.envelope(), sentence(e.envelope(), table)) for e in reversed(events)],
        "last_seq": events[-1].seq if events else 0,
        "event_templates": table,
        "activity_more": more,
        "activity_shown": shown,
    }
