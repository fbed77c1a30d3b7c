"""The live channel asks REST's access question, with the caller's current
rights, at every call, and is told at once when the answer changes.

Per call (`authorize`, run by `realtime.acks.handler` before any handler):
the credential the connection was opened with is read again (one indexed
read: token revoked? session ended or expired? user disabled? password
changed?) and the token scope the event needs is required, as REST requires
it. Workspace and document rights are then asked by the handler through
`require_workspace`/`require_document`, as REST asks them.

Pushed (`recheck_user`): when what someone may do changes, their connections
on every process are re-evaluated at once, not at their next call:
- an access notice (auth/notices.py, published on the bus after commit) for
  logout, an ended session, a password change, a revoked token, a disabled
  user, a changed portfolio;
- a `member.added|removed|role_changed` event, seen by the feed pump in log
  order, before it hands any later event to anyone.
A connection whose credential no longer stands is sent `session:ended
{reason, message}` and disconnected. One that keeps its credential but lost
rights is taken out of the document rooms and feed subscriptions it lost and
sent `access:changed {reason, documents, workspaces}`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g

from realtime import clients, socketio
from realtime.document_rooms import leave_document
from realtime.feed import pump
from workspace import cooperative
from workspace.auth.credentials import MESSAGES, CredentialEnded, recheck
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import sync
from workspace.errors import AppError, Forbidden

log = logging.getLogger(__name__)

SESSION_ENDED = "session:ended"
ACCESS_CHANGED = "access:changed"


def authorize(client: clients.Client, scope: str | None, *, read: bool = True) -> User | None:
    """The connection's user, as of now; raises (and drops the connection
    once the ack is out) when its credential no longer stands.

    With `read=False` only what is known without the database is asked (an
    ended connection, the token's scopes) and None is returned: the handler
    re-checks the credential itself, inside the transaction that acts on
    the call (doc:update does, once per batch: documents/sync.py), so the
    answer is as current and costs no transaction of its own."""
    if client.ended:
        raise CredentialEnded(client.ended, client.credential.kind == "token")
    if not read:
        _require_scope(client, scope)
        return None
    with db.lookup() as s:  # one statement: the credential with its user
        user, why = recheck(s, client.credential)
    if user is None:
        assert why is not None
        drop_after_ack(client, why)
        raise CredentialEnded(why, client.credential.kind == "token")
    _require_scope(client, scope)
    g.socket_user = user
    return user


def current_user() -> User:
    """The connection's user as re-checked for this call (realtime.acks)."""
    user = g.get("socket_user")
    if user is None:
        user = authorize(clients.current(), None)
    return user


def _require_scope(client: clients.Client, scope: str | None) -> None:
    if scope is not None and not client.credential.allows(scope):
        raise Forbidden(f"This token lacks the `{scope}` scope.", code="insufficient_scope")


def drop_after_ack(client: clients.Client, reason: str) -> None:
    if client.ended:
        return
    client.ended = reason
    handler = cooperative.current_task()

    def later() -> None:
        handler.join(timeout=5)  # the refusal's ack goes out first
        end_connection(client, reason)

    socketio.start_background_task(later)


def end_connection(client: clients.Client, reason: str) -> None:
    """Take everything away from a local connection, tell it why, close it."""
    client.ended = reason
    pump.unsubscribe_all(client.sid)
    with client.lock:
        for document_id in list(client.documents):
            leave_document(client, document_id)
    try:
        socketio.emit(
            SESSION_ENDED,
            {"reason": reason, "message": MESSAGES.get(reason, "")},
            to=client.sid,
            ignore_queue=True,
        )
        socketio.server.disconnect(client.sid, namespace="/", ignore_queue=True)
    except Exception:
        log.exception("realtime: closing %s failed", client.sid)


def recheck_user(user_id: int, reason: str) -> None:
    """Re-evaluate every local connection of this user against the database."""
    targets = [c for c in clients.of_user(user_id) if not c.ended]
    if not targets:
        return

    standing: list[tuple[clients.Client, User]] = []
    for client in targets:
        with db.reading() as s:
            user, why = recheck(s, client.credential)
        if user is None:
            end_connection(client, why or reason)
        else:
            standing.append((client, user))
    if not standing:
        return
    lost_workspaces = pump.recheck(standing[0][1], [c.sid for c, _ in standing])
    for client, user in standing:
        documents = _recheck_documents(client, user)
        workspaces = lost_workspaces.get(client.sid, [])
        if documents or workspaces:
            socketio.emit(
                ACCESS_CHANGED,
                {"reason": reason, "documents": documents, "workspaces": workspaces},
                to=client.sid,
                ignore_queue=True,
            )


def _recheck_documents(client: clients.Client, user: User) -> list[dict[str, Any]]:
    changed = []
    with client.lock:
        for document_id, could_edit in list(client.documents.items()):
            try:
                access = sync.authorize_join(user, document_id)
            except AppError:
                leave_document(client, document_id)
                changed.append({"document_id": document_id, "can_read": False, "can_edit": False})
                continue
            can_edit = access.can_edit and client.credential.allows("write")
            if can_edit != could_edit:
                client.documents[document_id] = can_edit
                changed.append({"document_id": document_id, "can_read": True, "can_edit": can_edit})
    return changed


def on_notices(notices: list[dict[str, Any]]) -> None:
    """Bus subscriber. An empty batch follows a (re)connection to Redis:
    notices may have been lost meanwhile, so every connection is re-checked."""
    if not notices:
        for user_id in sorted({c.user_id for c in clients.every()}):
            recheck_user(user_id, "recheck")
        return
    for notice in notices:
        user_id = notice.get("user_id") if isinstance(notice, dict) else None
        if isinstance(user_id, int):
            recheck_user(user_id, str(notice.get("reason") or "recheck"))
