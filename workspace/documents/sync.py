"""The server side of the doc:* protocol, without Socket.IO: what a join
answers and how an update is checked, stored and merged.

An update is acknowledged only after it is committed. Its bytes are checked
first (crdt.validate_update: exactly one Yjs update of the document's text,
nothing after it), so bytes that are not one never reach the live document or
the database; then it is stored if the document has room for it (store.
append_update, compacting first if needed) and applied to the live document
(to check the size limit on the merged text). Updates of one document that
arrive together are committed in one transaction (group_commit.py), each in a
savepoint of its own with its own access and size checks, so one that is
refused fails alone; if the live document took an update that was not
stored, or the transaction fails, it is rebuilt from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pycrdt import merge_updates

from workspace.auth.access import Need, can
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store, update_format
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.documents.live import LiveDoc, registry
from workspace.documents.models import Document
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
            raise ValidationFailed("state_vector is not a Yjs state vector.",
                                   fields={"state_vector": ["Not a Yjs state vector."]},
                                   code="malformed_state_vector") from None
        server_vector = live.doc.get_state()
    registry.weigh(live)
    if loaded.full and loaded.states:
        tail = loaded.states[1:]
        store.note_usage(document_id, store.Usage(len(loaded.states[0]), len(tail),
                                                  sum(map(len, tail))))
    return {"update": update, "state_vector": server_vector, "news": news}


def leave(document_id: int, sid: str) -> None:
    registry.close(document_id, sid)


def check_update(update: bytes) -> update_format.Shape:
    if len(update) > MAX_UPDATE_BYTES:
        raise PayloadTooLarge(
            f"The update is {len(update)} bytes; the limit is {MAX_UPDATE_BYTES} bytes.",
            code="update_too_large")
    try:
        return crdt.validate_update(update)
    except crdt.InvalidUpdate as err:
        raise ValidationFailed(
            f"The update is not exactly one Yjs update of this document's text ({err}); "
            "it was not stored.",
            fields={"update": [f"Not exactly one Yjs update (v1 encoding): {err}."]},
            code="malformed_update") from None


Relay = Callable[[int, bytes, "str | None"], None]
"""relay(document_id, update, skip_sid): send committed updates to the room."""


@dataclass(frozen=True)
class _Update:
    user: User
    update: bytes
    shape: update_format.Shape
    sender: str | None
    relay: Relay | None


def accept_update(user: User, document_id: int, update: bytes, sender: str | None = None,
                  relay: Relay | None = None) -> None:
    """Check, store and merge one client update; raises with nothing stored.

    Returns once it is committed, usually together with other updates of the
    document that arrived with it (group_commit). Whoever commits a batch
    calls `relay` once for it with the batch's updates merged; `sender` is
    the connection that sent this one, not to be sent its own update back."""
    shape = check_update(update)
    if crdt.is_empty(update):
        with db.reading() as s:
            require_document(s, user, document_id, Need.EDIT)
        return
    writers.submit(document_id, _Update(user, update, shape, sender, relay))


def _commit(document_id: int, take: Take) -> Callable[[], None] | None:
    """Store what `take` hands out, in one transaction if the document is
    open here (each update in a savepoint of its own: one that is refused
    leaves no trace and does not stop the others)."""
    live = registry.get(document_id)
    if live is None:
        return _commit_without_live(document_id, take)
    with live.lock:  # what the room is known to have had before this batch
        before = crdt.state_vector(live.doc)
    done, deferred, used = _store_batch(live, document_id, take, final=False)
    if deferred:  # as store.with_room: compact (a transaction of its own), try once more
        rest = iter(deferred)
        try:
            store.compact(document_id)
            more, _, used_more = _store_batch(live, document_id, lambda: next(rest, None),
                                              final=True)
            done, used = done + more, used_more or used
        except Exception as err:  # those committed before are still relayed
            for item in deferred:
                if not item.done:
                    item.fail(err)
    return _after_commit(document_id, done, used, before)


def _store_batch(live: LiveDoc, document_id: int, take: Take,
                 final: bool) -> tuple[list[Pending[_Update]], list[Pending[_Update]],
                                       store.Usage | None]:
    """One transaction; returns the updates committed, those that need a
    compaction first (not when `final`) and the usage after the last one."""
    stored: list[tuple[Pending[_Update], int]] = []
    refused: list[tuple[Pending[_Update], Exception]] = []
    deferred: list[Pending[_Update]] = []
    used = None
    dirty = False  # the live doc holds an update that is not stored
    document = None  # held: the session's identity map only keeps it while referenced
    with live.lock:
        try:
            with db.transaction() as s:
                while (item := take()) is not None:
                    u = item.payload
                    applied = False
                    try:
                        with s.begin_nested():
                            document = require_document(s, u.user, document_id, Need.EDIT)
                            seq, row_used = store.append_update(s, document_id, u.update,
                                                                u.user.id)
                            applied = True
                            live.apply(u.update, u.shape.requires)
                            if crdt.text_bytes(live.doc) > MAX_TEXT_BYTES:
                                _recheck_size(s, live, u.update)
                    except (store.StorageFull, store.CompactionNeeded) as err:
                        if final or (isinstance(err, store.StorageFull) and not err.foldable):
                            refused.append((item, err))
                        else:
                            deferred.append(item)
                        continue
                    except Exception as err:
                        dirty = dirty or applied
                        refused.append((item, err))
                        continue
                    stored.append((item, seq))
                    used = row_used
                if stored:
                    # Each author's edit, in the order stored (note_edit
                    # coalesces them as it did one commit each).
                    document = document or s.get(Document, document_id)
                    for item, _ in stored:
                        note_edit(s, document, item.payload.user)  # type: ignore[arg-type]
        except Exception:
            for item, err in refused:
                item.fail(err)
            if stored or dirty:
                _rebuild(live)
            raise
        if dirty:
            _rebuild(live)
        else:
            live.applied.update(seq for _, seq in stored)
            live.weight += sum(len(item.payload.update) for item, _ in stored)
    registry.weigh(live)
    for item, err in refused:
        item.fail(err)
    for item, _ in stored:
        item.resolve()
    return [item for item, _ in stored], deferred, used


writers: GroupCommit[_Update] = GroupCommit(_commit)


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
    live.reset()
    with db.reading() as s:
        loaded = store.load_for(s, live.document_id, None, set())
    live.absorb(loaded.mark, loaded.states, loaded.seqs, loaded.full)
    registry.weigh(live)


def _store_without_live(user: User, document_id: int, update: bytes) -> store.Usage:
    with db.transaction() as s:
        document = require_document(s, user, document_id, Need.EDIT)
        store.lock_document(s, document_id)
        doc = store.load_doc(s, document_id)
        doc.apply_update(update)
        size = crdt.text_bytes(doc)
        if size > MAX_TEXT_BYTES:
            raise PayloadTooLarge(
                f"With this update the text would be {size} bytes of UTF-8; the limit is "
                f"{MAX_TEXT_BYTES} bytes (1 MB).", code="document_too_large")
        _, used = store.append_update(s, document_id, update, user.id)
        note_edit(s, document, user)
        return used


def _commit_without_live(document_id: int, take: Take) -> Callable[[], None] | None:
    """Nobody has the document open here: each update on its own, checked
    against the stored state (rare: the cache dropped it while edited)."""
    done, used = [], None
    while (item := take()) is not None:
        u = item.payload
        try:
            used = store.with_room(document_id,
                                   lambda u=u: _store_without_live(u.user, document_id, u.update))
        except Exception as err:
            item.fail(err)
            continue
        item.resolve()
        done.append(item)
    return _after_commit(document_id, done, used, None)


def _after_commit(document_id: int, done: list[Pending[_Update]], used: store.Usage | None,
                  before: dict[int, int] | None) -> Callable[[], None] | None:
    """Queue a compaction if due, and relay the batch: its updates merged into
    one (Yjs mergeUpdates), to the whole room when several connections sent
    them (each sender then gets its own update back too, which Yjs applies as
    a no-op: cheaper than merging a different update for every sender), and
    skipping the sender when there was one. Updates that would leave a gap in
    the merge (crdt.mergeable: one that builds on an update not relayed yet,
    with `before` the state the room had) are relayed on their own, as before."""
    if not done:
        return None
    relay = next((i.payload.relay for i in done if i.payload.relay is not None), None)

    def after() -> None:
        if used is not None:
            store.note_usage(document_id, used)
        if relay is None:
            return
        merge = set(crdt.mergeable(before, [(i.payload.update, i.payload.shape.requires)
                                         for i in done])
                 if before is not None and len(done) > 1 else ())
        if len(merge) > 1:
            group = [done[i] for i in sorted(merge)]
            senders = {item.payload.sender for item in group}
            relay(document_id, merge_updates(*(item.payload.update for item in group)),
                  senders.pop() if len(senders) == 1 else None)
        for i, item in enumerate(done):
            if len(merge) <= 1 or i not in merge:
                relay(document_id, item.payload.update, item.payload.sender)

    return after


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
