"""`/me/sessions`: a user sees where they are signed in and ends sessions;
`PATCH /users/{id}`: admins disable an account. Importing this module also
adds the sessions page."""

from __future__ import annotations

from typing import Any

from flask import session as cookie
from marshmallow import ValidationError

from workspace.auth import access, devices, guards, service, sessions
from workspace.auth.current import current_session_id, require_user
from workspace.auth.models import UserSession
from workspace.auth.schemas import SessionSchema, UserActiveSchema, UserSchema
from workspace.db import db
from workspace.errors import Forbidden, ValidationFailed
from workspace.http import cursor_int, endpoint, page_of


def session_payload(row: UserSession, current_id: int | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "last_seen_at": row.last_seen_at,
        "user_agent": row.user_agent,
        "device": devices.describe(row.user_agent),
        "ip": row.ip,
        "current": row.id == current_id,
    }


@endpoint(
    "/me/sessions",
    summary="Where I am signed in: my standing browser sessions, "
    "oldest first; `current` marks the one making this request",
    tag="auth",
    response=SessionSchema(),
    paginated=True,
)
def list_my_sessions(query: dict) -> object:
    user = require_user()
    with db.reading() as s:
        rows = sessions.list_standing(s, user.id, cursor_int(query["cursor"]), query["limit"])
    page = page_of(rows, query["limit"])
    page.items = [session_payload(row, current_session_id()) for row in page.items]
    return page


@endpoint(
    "/me/sessions/<int:session_id>",
    "DELETE",
    summary="End one of my sessions: its "
    "cookie stops working and its live connections are closed at once",
    tag="auth",
)
def end_my_session(session_id: int) -> object:
    user = require_user()
    with db.transaction() as s:
        sessions.end_session(s, user, session_id)
    if session_id == current_session_id():
        cookie.clear()
    return None


ACTIVE_BODY = {
    "type": "object",
    "required": ["active"],
    "additionalProperties": False,
    "properties": {"active": {"type": "boolean"}},
}


@endpoint(
    "/users/<int:user_id>",
    "PATCH",
    guard=guards.admins,
    summary="Disable or re-enable a user (admins): "
    "disabling ends their sessions, stops their tokens and closes their live "
    "connections at once",
    tag="users",
    raw_body=True,
    doc_body=ACTIVE_BODY,
    response=UserSchema(),
)
def update_user(user_id: int, payload: Any) -> object:
    actor = require_user()
    # Who may is decided before what was sent is looked at.
    if not access.administers_users(actor):
        raise Forbidden("Only admins can change users.")
    if not isinstance(payload, dict):
        raise ValidationFailed(
            "Expected a JSON object.", fields={"_schema": ["Expected a JSON object."]}
        )
    try:
        data = UserActiveSchema().load(payload)
    except ValidationError as err:
        raise ValidationFailed("Some fields are invalid.", fields=err.messages) from None
    with db.transaction() as s:
        return service.set_user_active(s, actor, user_id, data["active"])
