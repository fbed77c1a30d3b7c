"""Routes for milestones and their calendar feed."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from workspace.auth.access import Need, require_workspace
from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import Page, endpoint, error_doc
from workspace.milestones import service
from workspace.milestones.calendar import milestones_ics
from workspace.milestones.schemas import (
    MilestoneCreateSchema,
    MilestoneSchema,
    MilestoneUpdateSchema,
)


@endpoint(
    "/workspaces/<int:workspace_id>/milestones",
    summary="Milestones, by due date",
    tag="milestones",
    response=MilestoneSchema(),
    paginated=True,
)
def list_milestones(workspace_id: int, query: dict) -> Page:
    with db.reading() as s:
        rows = service.list_milestones(s, require_user(), workspace_id)
        return Page(service.payloads(s, rows), None)


@endpoint(
    "/workspaces/<int:workspace_id>/milestones",
    "POST",
    summary="Add a milestone, by hand (criteria null) or automatic",
    tag="milestones",
    body=MilestoneCreateSchema(),
    response=MilestoneSchema(),
    status=201,
)
def create_milestone(workspace_id: int, data: dict) -> Any:
    with db.transaction() as s:
        m = service.create_milestone(s, require_user(), workspace_id, data)
        return service.payloads(s, [m])[0]


@endpoint(
    "/milestones/<int:milestone_id>",
    "PATCH",
    need=(Need.EDIT, Need.SET_STATUS),
    summary="Change a milestone; owners and program managers may set status missed (or open again)",
    tag="milestones",
    body=MilestoneUpdateSchema(),
    response=MilestoneSchema(),
)
def update_milestone(milestone_id: int, data: dict) -> Any:
    with db.transaction() as s:
        m = service.update_milestone(s, require_user(), milestone_id, data)
        return service.payloads(s, [m])[0]


@endpoint(
    "/milestones/<int:milestone_id>",
    "DELETE",
    summary="Delete a milestone that is open or missed (a reached one: 409)",
    tag="milestones",
    status=204,
    doc_responses={"409": error_doc("The milestone was reached")},
)
def delete_milestone(milestone_id: int) -> None:
    with db.transaction() as s:
        service.delete_milestone(s, require_user(), milestone_id)


@endpoint(
    "/milestones/<int:milestone_id>/reach",
    "POST",
    summary="Mark a milestone reached",
    tag="milestones",
    response=MilestoneSchema(),
)
def reach_milestone(milestone_id: int) -> Any:
    with db.transaction() as s:
        m = service.reach_milestone(s, require_user(), milestone_id)
        return service.payloads(s, [m])[0]


@endpoint(
    "/workspaces/<int:workspace_id>/milestones.ics",
    summary="Milestones as iCalendar (subscribe with ?token= holding a read token)",
    tag="milestones",
    query_token=True,
    name="milestones_calendar",
    doc_responses={
        "200": {
            "description": "An iCalendar (RFC 5545) feed: one all-day event per milestone "
            "with a due date",
            "headers": {
                "Cache-Control": {
                    "schema": {"type": "string"},
                    "description": "private, max-age=300",
                }
            },
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    },
)
def milestones_calendar(workspace_id: int) -> Any:
    user = require_user()
    with db.reading() as s:
        ws = require_workspace(s, user, workspace_id)
        rows = service.list_milestones(s, user, workspace_id)
    public_url = current_app.extensions["jointlab.settings"].public_url
    body = milestones_ics(ws, rows, public_url)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'inline; filename="jointlab-{workspace_id}-milestones.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
