"""`GET /feed.atom` and `GET /milestones.ics` for the whole portfolio."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

from workspace.auth.access import readable_workspaces
from workspace.auth.current import require_user
from workspace.dashboard.service import newest_feed_events
from workspace.db import db
from workspace.events.models import Event
from workspace.feeds.atom import atom_feed
from workspace.feeds.calendar import portfolio_ics, portfolio_milestones
from workspace.http import endpoint
from workspace.spaces.models import Workspace

ATOM_ENTRIES = 100


def _newest(session: Any, readable: Any) -> list[Event]:
    return list(reversed(newest_feed_events(session, readable, ATOM_ENTRIES)))


@endpoint(
    "/feed.atom",
    summary="The milestone feed (milestone.*, statement.agreed, "
    "trial.completed) as Atom; readers pass ?token= with a read token",
    tag="events",
    query_token=True,
    produces={"application/atom+xml": {"type": "string"}},
)
def feed_atom() -> Any:
    user = require_user()
    with db.reading() as s:
        rows = _newest(s, readable_workspaces(s, user))
        wanted = {r.workspace_id for r in rows}
        titles = (
            dict(
                s.execute(
                    select(Workspace.id, Workspace.title).where(Workspace.id.in_(wanted))
                ).all()
            )
            if wanted
            else {}
        )
    public_url = current_app.extensions["jointlab.settings"].public_url
    body = atom_feed(user, [r.envelope() for r in rows], titles, public_url, request.base_url)
    return Response(
        body, mimetype="application/atom+xml", headers={"Cache-Control": "private, max-age=60"}
    )


@endpoint(
    "/milestones.ics",
    summary="Every milestone of the workspaces I oversee as "
    "iCalendar (subscribe with ?token= holding a read token)",
    tag="milestones",
    query_token=True,
    produces={"text/calendar": {"type": "string"}},
)
def portfolio_calendar() -> Any:
    user = require_user()
    with db.reading() as s:
        rows = portfolio_milestones(s, user)
    public_url = current_app.extensions["jointlab.settings"].public_url
    body = portfolio_ics(rows, public_url, _("JointLab · milestones"))
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="jointlab-milestones.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
