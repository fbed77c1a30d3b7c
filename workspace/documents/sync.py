"""The server side of the doc:* protocol, without Socket.IO: what a join
answers and how an update is checked, stored and merged.

An update is acknowledged only after it is committed. It is decoded on a
scratch document first, so bytes that are not a Yjs update never reach the
live document or the database; then applied to the live document (to check
the size limit on the merged text) and stored in one transaction; if that
transaction fails, the live document is rebuilt from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from workspace.auth.access import Need, can
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store
from workspace.documents.live import LiveDoc, registry
from workspace.documents.service import MAX_TEXT_BYTES, note_edit, require_document
from workspace.errors import PayloadTooLarge, ValidationFailed

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
        return Access(document.id, document.workspace_id,
                      can(s, user, document.workspace_id, Need.EDIT))


def join(document_id: int, sid: str, state_vector: bytes) -> dict[str, bytes]:
    """Merge the stored state into this process's live doc (another process
    may have accepted edits) and answer what the client lacks."""
    with db.reading() as s:
        states = store.load_states(s, document_id)
    live = registry.open(document_id, sid)
    with live.lock:
        for state in states:
            live.doc.apply_update(state)
        try:
            update = live.doc.get_update(state_vector or None)
        except Exception:
            raise ValidationFailed("state_vector is not a Yjs state vector.",
                                   fields={"state_vector": ["Not a Yjs state vector."]},
                                   code="malformed_state_vector") from None
        server_vector = live.doc.get_state()
    if len(states) - 1 >= store.COMPACT_AFTER:
        from jobs.queue import jobs

        jobs.enqueue("workspace.documents.store.compact_document", document_id,
                     job_id=f"compact-document:{document_id}")
    return {"update": update, "state_vector": server_vector}


def leave(document_id: int, sid: str) -> None:
    registry.close(document_id, sid)


def check_update(update: bytes) -> None:
    if len(update) > MAX_UPDATE_BYTES:
        raise PayloadTooLarge(
            f"The update is {len(update)} bytes; the limit is {MAX_UPDATE_BYTES} bytes.",
            code="update_too_large")
    try:
        crdt.validate_update(update)
    except crdt.InvalidUpdate:
        raise ValidationFailed("The update is not a valid Yjs update; it was not stored.",
                               fields={"update": ["Not a Yjs update (v1 encoding)."]},
                               code="malformed_update") from None


def accept_update(user: User, document_id: int, update: bytes) -> None:
    """Check, store and merge one client update; raises with nothing stored."""
    check_update(update)
    if crdt.is_empty(update):
        with db.reading() as s:
            require_document(s, user, document_id, Need.EDIT)
        return
    live = registry.get(document_id)
    if live is None:
        _store_without_live(user, document_id, update)
        return
    with live.lock:
        applied = False
        try:
            with db.transaction() as s:
                document = require_document(s, user, document_id, Need.EDIT)
                live.doc.apply_update(update)
                applied = True
                if crdt.text_bytes(live.doc) > MAX_TEXT_BYTES:
                    _recheck_size(s, live, update)
                store.append_update(s, document_id, update, user.id)
                note_edit(s, document, user)
        except Exception:
            if applied:
                _rebuild(live)
            raise


def _recheck_size(session: object, live: LiveDoc, update: bytes) -> None:
    """The live doc may lack deletions accepted by another process; decide on
    the stored state before refusing."""
    fresh = store.load_doc(session, live.document_id)  # type: ignore[arg-type]
    fresh.apply_update(update)
    size = crdt.text_bytes(fresh)
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(
            f"With this update the text would be {size} bytes of UTF-8; the limit is "
            f"{MAX_TEXT_BYTES} bytes (1 MB).", code="document_too_large")


def _rebuild(live: LiveDoc) -> None:
    with db.reading() as s:
        live.doc = store.load_doc(s, live.document_id)


def _store_without_live(user: User, document_id: int, update: bytes) -> None:
    with db.transaction() as s:
        document = require_document(s, user, document_id, Need.EDIT)
        doc = store.load_doc(s, document_id)
        doc.apply_update(update)
        size = crdt.text_bytes(doc)
        if size > MAX_TEXT_BYTES:
            raise PayloadTooLarge(
                f"With this update the text would be {size} bytes of UTF-8; the limit is "
                f"{MAX_TEXT_BYTES} bytes (1 MB).", code="document_too_large")
        store.append_update(s, document_id, update, user.id)
        note_edit(s, document, user)


def merge_into_live(document_id: int, update: bytes) -> None:
    """A server-side edit (PUT text, restore) reaches this process's live doc."""
    live = registry.get(document_id)
    if live is not None and not crdt.is_empty(update):
        with live.lock:
            live.doc.apply_update(update)
