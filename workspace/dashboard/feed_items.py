"""One line of the live milestone feed: its sentence, its day in the reader's
time zone and the link to the thing. static/js/dashboard_feed.js mirrors it
for events that arrive live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workspace.pages.activity import describe
from workspace.zones import zone


def link(envelope: dict[str, Any]) -> str:
    """The workspace page at the thing, the same place notifications link to."""
    from workspace.notifications.wording import link_for

    return link_for(envelope, "")


def evidence_link(envelope: dict[str, Any]) -> str | None:
    if envelope["type"] not in ("milestone.reached", "milestone.evidence_ready"):
        return None
    milestone = (envelope.get("data") or {}).get("milestone") or {}
    if milestone.get("id") is None:
        return None
    return f"/api/v1/milestones/{milestone['id']}/evidence.pdf"


def feed_item(envelope: dict[str, Any], table: dict[str, str], tz: str | None) -> dict[str, Any]:
    at = datetime.fromisoformat(str(envelope["occurred_at"]).replace("Z", "+00:00"))
    local = at.astimezone(zone(tz))
    return {"id": envelope["id"], "type": envelope["type"],
            "workspace_id": envelope["workspace_id"], "occurred_at": envelope["occurred_at"],
            "day": local.date(), "time": local, "text": describe(envelope, table),
            "href": link(envelope),
            "evidence_href": evidence_link(envelope)
            if envelope["type"] == "milestone.evidence_ready" else None}
