from workspace.auth import guards
from workspace.auth.access import Need, require_workspace
from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import Page, cursor_int, endpoint, page_of
from workspace.spaces import service
from workspace.spaces.schemas import (
    MemberCreateSchema,
    MemberRoleSchema,
    MemberSchema,
    WorkspaceCreateSchema,
    WorkspaceListQuerySchema,
    WorkspaceSchema,
    WorkspaceUpdateSchema,
)


def _with_role(s: object, user: object, ws: object) -> dict:
    return {**WorkspaceSchema().dump(ws), "my_role": service.my_role(s, user, ws.id)}


@endpoint(
    "/workspaces",
    summary="Workspaces I can read",
    tag="workspaces",
    query=WorkspaceListQuerySchema(),
    response=WorkspaceSchema(),
    paginated=True,
)
def list_workspaces(query: dict) -> object:
    user = require_user()
    with db.reading() as s:
        rows = service.list_workspaces(
            s, user, cursor_int(query["cursor"]), query["limit"], query["status"]
        )
        page = page_of(rows, query["limit"])
        roles = service.roles_of(s, user, [w.id for w in page.items])
    page.items = [{**WorkspaceSchema().dump(w), "my_role": roles.get(w.id)} for w in page.items]
    return page


@endpoint(
    "/workspaces",
    "POST",
    guard=guards.creators,
    summary="Create a workspace after a match",
    tag="workspaces",
    body=WorkspaceCreateSchema(),
    response=WorkspaceSchema(),
    status=201,
)
def create_workspace(data: dict) -> object:
    user = require_user()
    with db.transaction() as s:
        ws = service.create_workspace(s, user, **data)
        return _with_role(s, user, ws)


@endpoint(
    "/workspaces/<int:workspace_id>",
    summary="A workspace",
    tag="workspaces",
    response=WorkspaceSchema(),
)
def get_workspace(workspace_id: int) -> object:
    user = require_user()
    with db.reading() as s:
        return _with_role(s, user, require_workspace(s, user, workspace_id))


@endpoint(
    "/workspaces/<int:workspace_id>",
    "PATCH",
    need=Need.MANAGE,
    summary="Change title, summary or status",
    tag="workspaces",
    body=WorkspaceUpdateSchema(),
    response=WorkspaceSchema(),
)
def update_workspace(workspace_id: int, data: dict) -> object:
    user = require_user()
    with db.transaction() as s:
        return _with_role(s, user, service.update_workspace(s, user, workspace_id, data))


@endpoint(
    "/workspaces/<int:workspace_id>/members",
    summary="Members",
    tag="members",
    response=MemberSchema(),
    paginated=True,
)
def list_members(workspace_id: int, query: dict) -> object:
    with db.reading() as s:
        rows = service.list_members(s, require_user(), workspace_id)
        return Page([service.member_payload(m) for m in rows], None)


@endpoint(
    "/workspaces/<int:workspace_id>/members",
    "POST",
    need=Need.ADD_MEMBER,
    summary="Add a member",
    tag="members",
    body=MemberCreateSchema(),
    response=MemberSchema(),
    status=201,
    doc_responses={
        "409": {
            "description": "`already_member`: the person is already a "
            "member; nothing changes (use PATCH to change "
            "a role)"
        }
    },
)
def add_member(workspace_id: int, data: dict) -> object:
    with db.transaction() as s:
        member = service.add_member(
            s,
            require_user(),
            workspace_id,
            data.get("user_id"),
            data["role"],
            email=data.get("email"),
        )
        return service.member_payload(member)


@endpoint(
    "/workspaces/<int:workspace_id>/members/<int:user_id>",
    "PATCH",
    need=Need.MANAGE,
    summary="Change a member's role (owners)",
    tag="members",
    body=MemberRoleSchema(),
    response=MemberSchema(),
    doc_responses={"409": {"description": "`last_owner`: the only owner cannot be demoted"}},
)
def change_member_role(workspace_id: int, user_id: int, data: dict) -> object:
    with db.transaction() as s:
        member = service.change_member_role(s, require_user(), workspace_id, user_id, data["role"])
        return service.member_payload(member)


@endpoint(
    "/workspaces/<int:workspace_id>/members/<int:user_id>",
    "DELETE",
    need=Need.MANAGE,
    summary="Remove a member",
    tag="members",
)
def remove_member(workspace_id: int, user_id: int) -> object:
    with db.transaction() as s:
        service.remove_member(s, require_user(), workspace_id, user_id)
    return None
