"""`/dashboard`, its rows alone (`/dashboard/rows`) and `/dashboard/timeline`:
server-rendered, kept live by static/js/dashboard.js."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from marshmallow import ValidationError

from workspace.dashboard import service, timeline
from workspace.dashboard.feed_items import feed_item
from workspace.dashboard.labels import labels
from workspace.dashboard.query import SORTS
from workspace.dashboard.schemas import DashboardQuerySchema
from workspace.db import db
from workspace.errors import ValidationFailed
from workspace.events.presentation import words
from workspace.exports.service import recent_tasks
from workspace.http import cursor_int
from workspace.organizations.models import Organization
from workspace.pages import pages
from workspace.pages.session import login_required
from workspace.spaces.models import WORKSPACE_STATUSES

LIVE_TYPES = [
    "milestone.*",
    "statement.agreed",
    "trial.created",
    "trial.status_changed",
    "trial.completed",
    "workspace.updated",
]


def _query() -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        return DashboardQuerySchema().load(args)
    except ValidationError as err:
        raise ValidationFailed("Some filters are invalid.", fields=err.messages) from None


@pages.route("/dashboard")
@login_required
def dashboard_page() -> Any:
    user = g.page_user
    query = _query()
    with db.reading() as s:
        board = service.dashboard(s, user, query)
        titles, orgs = service.workspace_index(s, user)
        events, _last = service.recent_feed(s, user)
        exports = recent_tasks(s, user)
        org_filter = (
            s.get(Organization, query["organization_id"]) if query.get("organization_id") else None
        )
    if org_filter is not None and all(o["id"] != org_filter.id for o in orgs):
        orgs.append({"id": org_filter.id, "name": org_filter.name})
    offset = cursor_int(query["cursor"])
    args = {k: v for k, v in request.args.items() if k in query and v != ""}
    pager = {
        "first": offset + 1 if board["items"] else 0,
        "last": offset + len(board["items"]),
        "total": board["totals"]["workspaces"],
        "next": {**args, "cursor": board["next_cursor"]} if board["next_cursor"] else None,
        "previous": {**args, "cursor": str(max(0, offset - query["limit"]))}
        if offset > 0
        else None,
    }
    table = {**words(), **labels()}
    items = [feed_item(e.envelope(), table, user.timezone) for e in events]
    config = {
        "lastEventId": board["last_event_id"],
        "workspaceTitles": titles,
        "liveTypes": LIVE_TYPES,
        "feedTypes": service.FEED_TYPES,
        "labels": table,
        "query": args,
    }
    return render_template(
        "dashboard/index.html",
        board=board,
        query=query,
        orgs=orgs,
        sorts=SORTS,
        statuses=WORKSPACE_STATUSES,
        feed=items,
        config=config,
        labels=table,
        titles=titles,
        pager=pager,
        exports=exports,
    )


@pages.route("/dashboard/rows")
@login_required
def dashboard_rows() -> Any:
    """The rows of these workspaces under the page's filters, as the page
    renders them: dashboard.js swaps them in after an event, so a row has one
    rendering, this template's."""
    with db.reading() as s:
        board = service.dashboard(s, g.page_user, _query())
    return render_template("dashboard/_rows.html", board=board, labels=labels())


@pages.route("/dashboard/timeline")
@login_required
def dashboard_timeline() -> Any:
    user = g.page_user
    with db.reading() as s:
        chart = timeline.build(s, user)
    return render_template("dashboard/timeline.html", chart=chart)
