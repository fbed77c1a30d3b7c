from workspace.auth.access import readable_workspaces, require_workspace
from workspace.auth.current import require_user
from workspace.db import db
from workspace.events.log import feed_events, workspace_events
from workspace.events.schemas import (
    EventSchema,
    FeedQuerySchema,
    WorkspaceEventsQuerySchema,
    parse_types,
)
from workspace.http import Page, cursor_int, endpoint


def _after(query: dict) -> int:
    # `cursor` (from next_cursor) and `after` mean the same thing here.
    return max(query["after"], cursor_int(query["cursor"]))


@endpoint(
    "/workspaces/<int:workspace_id>/events",
    summary="A workspace's event log after a seq",
    tag="events",
    query=WorkspaceEventsQuerySchema(),
    response=EventSchema(),
    paginated=True,
)
def list_workspace_events(workspace_id: int, query: dict) -> object:
    user = require_user()
    with db.reading() as s:
        require_workspace(s, user, workspace_id)
        rows = workspace_events(s, workspace_id, _after(query), query["limit"] + 1)
    more = len(rows) > query["limit"]
    rows = rows[: query["limit"]]
    return Page([r.envelope() for r in rows], str(rows[-1].seq) if more else None)


@endpoint(
    "/feed",
    summary="Events of every workspace I can read, after a global id",
    tag="events",
    query=FeedQuerySchema(),
    response=EventSchema(),
    paginated=True,
)
def feed(query: dict) -> object:
    user = require_user()
    with db.reading() as s:
        rows = feed_events(
            s,
            readable_workspaces(s, user),
            _after(query),
            query["limit"] + 1,
            parse_types(query["types"]),
        )
    more = len(rows) > query["limit"]
    rows = rows[: query["limit"]]
    return Page([r.envelope() for r in rows], str(rows[-1].id) if more else None)
