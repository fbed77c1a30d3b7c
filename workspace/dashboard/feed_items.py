"""One line of the live milestone feed: its day and time in the reader's
time zone, with the event's sentence and links from
workspace/events/presentation.py (static/js/dashboard_feed.js renders events
that arrive live with the same words and links, via static/js/event_words.js)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workspace.events.presentation import present
from workspace.zones import zone


def feed_item(envelope: dict[str, Any], table: dict[str, str], tz: str | None) -> dict[str, Any]:
    at = datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
    local = at.astimezone(zone(tz))
    shown = present(envelope, "", table)
    return {
        "id": envelope["id"],
        "type": envelope["type"],
        "workspace_id": envelope["workspace_id"],
        "occurred_at": envelope["occurred_at"],
        "day": local.date(),
        "time": local,
        "text": shown.text,
        "href": shown.url,
        "evidence_href": shown.evidence_url,
    }
