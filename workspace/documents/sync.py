"""The server side of the doc:* protocol, without Socket.IO: what a join
answers and how an update is checked, stored and merged.

An update is acknowledged only after it is committed. Its bytes are checked
first (crdt.validate_update: exactly one Yjs update of the document's text,
nothing after it), so bytes that are not one never reach the live document or
the database; then this process's writer (writer.py) stores and merges it,
with the others that arrived together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pycrdt import merge_updates

from workspace.auth.access import Need, can
from workspace.auth.credentials import Credential
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store, update_format, writer
from workspace.documents.live import registry
from workspace.documents.service import require_document
from workspace.errors import PayloadTooLarge, ValidationFailed

log = logging.getLogger(__name__)

# One update may carry at most this much; the Socket.IO frame limit
# (Settings.max_message_bytes, 8 MiB) is above it so the refusal is ours and
# readable. A first sync of a full 1 MB document is far below it.
MAX_UPDATE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Access:
    document_id: int
    workspace_id: int
    can_edit: bool


def authorize_join(user: User, document_id: int) -> Access:
    with db.reading() as s:
        document = require_document(s, user, document_id, Need.READ)
        return Access(
            document.id, document.workspace_id, can(s, user, document.workspace_id, Need.EDIT)
        )


def join(document_id: int, sid: str, state_vector: bytes) -> dict[str, bytes | None]:
    """Merge what was stored since this process's live doc last looked
    (another process may have accepted edits) and answer what the client lacks.

    The answer carries `news` too (or None): what this join found stored that
    the live doc lacked, for the clients already in the room. Normally they
    had it by relay; but a process killed between committing an update and
    relaying it leaves it stored and relayed to no one, and its editor, on
    reconnecting here, finds it already stored and does not send it again
    (tests/faults/test_web_kill.py). Sending it twice is harmless (Yjs
    updates are idempotent)."""
    live = registry.open(document_id, sid)
    with live.lock:
        others = bool(live.sids - {sid})
        with db.reading() as s:
            loaded = store.load_for(s, document_id, live.mark, live.applied)
        live.absorb(loaded.mark, loaded.states, loaded.seqs, loaded.full)
        news = None
        if others and loaded.states:
            # After a compaction (a full load) the snapshot may hold rows the
            # room lacks, and only the whole state says which: rare.
            news = live.doc.get_update() if loaded.full else merge_updates(*loaded.states)
        try:
            update = live.doc.get_update(state_vector or None)
        except Exception:
            raise ValidationFailed(
                "state_vector is not a Yjs state vector.",
                fields={"state_vector": ["Not a Yjs state vector."]},
                code="malformed_state_vector",
            ) from None
        server_vector = live.doc.get_state()
    registry.weigh(live)
    if loaded.full and loaded.states:
        tail = loaded.states[1:]
        used = store.Usage(len(loaded.states[0]), len(tail), sum(map(len, tail)))
        if used.compaction_due:
            # A read commits nothing to queue the compaction after: a
            # transaction of its own that runs no statement (on SQLite it
            # only takes this process's write lock, for a moment).
            with db.transaction() as s:
                store.note_usage(s, document_id, used)
    return {"update": update, "state_vector": server_vector, "news": news}


def leave(document_id: int, sid: str) -> None:
    registry.close(document_id, sid)


def check_update(update: bytes) -> update_format.Shape:
    if len(update) > MAX_UPDATE_BYTES:
        raise PayloadTooLarge(
            f"The update is {len(update)} bytes; the limit is {MAX_UPDATE_BYTES} bytes.",
            code="update_too_large",
        )
    try:
        return crdt.validate_update(update)
    except crdt.InvalidUpdate as err:
        raise ValidationFailed(
            f"The update is not exactly one Yjs update of this document's text ({err}); "
            "it was not stored.",
            fields={"update": [f"Not exactly one Yjs update (v1 encoding): {err}."]},
            code="malformed_update",
        ) from None


def accept_update(
    who: User | Credential,
    document_id: int,
    update: bytes,
    sender: str | None = None,
    relay: writer.Relay | None = None,
) -> None:
    """Check, store and merge one client update; raises with nothing stored.

    `who` is the caller: a User whose rights this call already re-checked,
    or the connection's Credential, re-checked in the transaction that
    stores the update (CredentialEnded if it no longer stands).

    Returns once it is committed, usually together with other updates that
    arrived with it (group_commit). Whoever commits a batch calls `relay`
    once per document for it, with that document's updates merged; `sender`
    is the connection that sent this one, not to be sent its own update back."""
    shape = check_update(update)
    if crdt.is_empty(update):
        with db.reading() as s:
            require_document(s, writer.standing(s, who, {}), document_id, Need.EDIT)
        return
    writer.submit(writer.Update(who, document_id, update, shape, sender, relay))


def merge_into_live(document_id: int, update: bytes) -> None:
    """A server-side edit (PUT text, restore) reaches this process's live doc."""
    live = registry.get(document_id)
    if live is not None and not crdt.is_empty(update):
        with live.lock:
            live.apply(update, crdt.requirements_of(update))


def catch_up(document_id: int) -> bytes | None:
    """Merge into this process's live document what was stored since it last
    looked, and return its whole state (None: nobody has it open here). For
    a resync after relays may have been lost (realtime/message_queue.py)."""
    live = registry.get(document_id)
    if live is None or not live.sids:
        return None
    with live.lock:
        with db.reading() as s:
            loaded = store.load_for(s, document_id, live.mark, live.applied)
        live.absorb(loaded.mark, loaded.states, loaded.seqs, loaded.full)
        update = live.doc.get_update()
    registry.weigh(live)
    return update
