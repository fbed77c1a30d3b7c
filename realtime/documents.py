"""doc:join, doc:update, doc:awareness, doc:leave (SPEC, Socket.IO table).

Every document is a Socket.IO room. Relays go through `socketio.emit(...,
to=room, skip_sid=sender)`, which with REDIS_URL passes through the message
queue, so clients joined to other web processes get them too. A join always
merges the stored state, so a client joining any process gets everything
committed by all of them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import request
from flask_socketio import join_room, leave_room
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.orm import Session

from realtime import clients, guard, socketio
from realtime import document_rooms as rooms
from realtime.acks import PlainSchema, handler
from workspace.documents import crdt, store, sync
from workspace.documents.live import registry
from workspace.errors import NotFound, PayloadTooLarge, ValidationFailed
from workspace.events import after_commit
from workspace.fields import MAX_ID, id_range

MAX_AWARENESS_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class Bytes(fields.Field):
    """Binary attachments arrive as bytes; accept a list of byte values too."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bytes:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if isinstance(value, list) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
            return bytes(value)
        raise ValidationError("Expected binary data.")


class JoinSchema(Schema):
    document_id = fields.Integer(strict=True, required=True, validate=id_range())
    state_vector = Bytes(load_default=b"")


class UpdateSchema(PlainSchema):
    document_id = fields.Integer(strict=True, required=True, validate=id_range())
    update = Bytes(required=True)

    def plain(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        # What clients send: these two keys, an id in range, the update as
        # a binary attachment (bytes). Anything else is marshmallow's to judge.
        if len(payload) != 2:
            return None
        document_id, update = payload.get("document_id"), payload.get("update")
        if type(document_id) is not int or not 1 <= document_id <= MAX_ID:
            return None
        if type(update) is not bytes:
            return None
        return {"document_id": document_id, "update": update}


class LeaveSchema(Schema):
    document_id = fields.Integer(strict=True, required=True, validate=id_range())


def _sid() -> str:
    return request.sid  # type: ignore[attr-defined]


@handler("doc:join", JoinSchema())
def join(payload: dict[str, Any]) -> dict[str, Any]:
    client = clients.current()
    user = guard.current_user()
    document_id = payload["document_id"]
    # Held from the access check to entering the room: a revocation that
    # commits meanwhile re-checks this client after we are in, and takes the
    # room away again (realtime/guard.py).
    with client.lock:
        access = sync.authorize_join(user, document_id)
        # A `read` token reads along but may not edit, as over REST.
        can_edit = access.can_edit and client.credential.allows("write")
        # Enter the room before reading the state: an update committed after
        # the read is then relayed to us, one committed before it is in the answer.
        join_room(rooms.room_of(document_id))
        client.documents[document_id] = can_edit
    answer = sync.join(document_id, client.sid, payload["state_vector"])
    news = answer.pop("news")
    if news is not None and not crdt.is_empty(news):
        relay_update(document_id, news, skip_sid=client.sid)  # see sync.join
    return {**answer, "can_edit": can_edit}


@handler("doc:update", UpdateSchema(), scope="write", credential_in_transaction=True)
def update(payload: dict[str, Any]) -> None:
    document_id, data = payload["document_id"], payload["update"]
    # Acknowledged once committed; whoever commits the batch holding it
    # relays the batch, merged, and re-checked the connection's credential in
    # the same transaction (sync.accept_update).
    sync.accept_update(
        clients.current().credential, document_id, data, sender=_sid(), relay=relay_updates
    )


@handler("doc:awareness", UpdateSchema())
def awareness(payload: dict[str, Any]) -> None:
    client = clients.current()
    document_id, data = payload["document_id"], payload["update"]
    if document_id not in client.documents:
        raise NotFound("Join the document first.")
    sync.authorize_join(guard.current_user(), document_id)  # still a reader?
    if len(data) > MAX_AWARENESS_BYTES:
        raise PayloadTooLarge(f"Awareness updates are limited to {MAX_AWARENESS_BYTES} bytes.")
    try:
        seen = crdt.awareness_clients(data)
    except crdt.InvalidUpdate:
        raise ValidationFailed(
            "Not an awareness update.",
            code="malformed_update",
            fields={"update": ["Not a y-protocols awareness update."]},
        ) from None
    rooms.remember_awareness(client.sid, document_id, seen)
    socketio.emit(
        "doc:awareness",
        {"document_id": document_id, "update": data},
        to=rooms.room_of(document_id),
        skip_sid=client.sid,
    )


@handler("doc:leave", LeaveSchema())
def leave(payload: dict[str, Any]) -> None:
    client = clients.current()
    document_id = payload["document_id"]
    leave_room(rooms.room_of(document_id))
    rooms.forget(client.sid, document_id)
    client.documents.pop(document_id, None)


def relay_update(document_id: int, update: bytes, skip_sid: str | None = None) -> None:
    socketio.emit(
        "doc:update",
        {"document_id": document_id, "update": update},
        to=rooms.room_of(document_id),
        skip_sid=skip_sid,
    )


def relay_updates(relays: list[tuple[int, bytes, str | None]]) -> None:
    """A committed batch's relays (documents/writer.py): with Redis, what
    goes to the other web processes leaves in one round trip."""
    together = getattr(socketio.server.manager, "publishing_together", None)
    with together() if together is not None else contextlib.nullcontext():
        for document_id, update, skip_sid in relays:
            try:  # one room's trouble does not keep the others' relays
                relay_update(document_id, update, skip_sid)
            except Exception:
                log.exception("relaying an update of document %s failed", document_id)


def publish_server_edit(document_id: int, update: bytes) -> None:
    """After a server-side edit (PUT text, restore, accepted suggestion) has committed."""
    if crdt.is_empty(update):
        return
    sync.merge_into_live(document_id, update)
    relay_update(document_id, update)


def relay_server_edit(session: Session, document_id: int, update: bytes) -> None:
    """The reaction to `service.SERVER_EDIT`: relay the edit once (and only
    if) its transaction commits."""
    after_commit.on_commit(session, None, lambda: publish_server_edit(document_id, update))


def reset_state() -> None:
    """A new app starts with no open documents (see realtime/install.py)."""

    registry.reset()
    store.forget_requests()


def resync_rooms(app: Any) -> None:
    """After the message queue (re)subscribed to Redis: relays published
    while this process was not listening are lost, so each document open
    here gets what is stored, merged, sent to its local room only (the
    other processes do the same for theirs). Clients that had it all apply
    it as a no-op (Yjs updates are idempotent)."""
    with app.app_context():
        for document_id in registry.open_ids():
            try:
                update = sync.catch_up(document_id)
            except Exception:
                log.exception("resync of document %s failed", document_id)
                continue
            if update is not None:
                socketio.server.emit(
                    "doc:update",
                    {"document_id": document_id, "update": update},
                    to=rooms.room_of(document_id),
                    namespace="/",
                    ignore_queue=True,
                )
