"""The server side of the doc:* protocol, without Socket.IO: what a join
answers and how an update is checked, stored and merged.

An update is acknowledged only after it is committed. Its bytes are checked
first (crdt.validate_update: exactly one Yjs update of the document's text,
nothing after it), so bytes that are not one never reach the live document or
the database; then it is stored if the document has room for it (store.
append_update, compacting first if needed) and applied to the live document
(to check the size limit on the merged text). Updates that arrive together,
to any documents, are committed in one transaction by one writer per process
(group_commit.py), each in a savepoint of its own with its own credential,
access and size checks, so one that is refused fails alone; if a live
document took an update that was not stored, or the transaction fails, it is
rebuilt from the database.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass

from pycrdt import merge_updates
from sqlalchemy.orm import Session

from workspace.auth.access import Need, can
from workspace.auth.credentials import Credential, require_standing
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store, update_format
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.documents.live import LiveDoc, registry
from workspace.documents.models import Document
from workspace.documents.service import MAX_TEXT_BYTES, note_edit, require_document
from workspace.errors import AppError, PayloadTooLarge, ValidationFailed

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
        store.note_usage(
            document_id, store.Usage(len(loaded.states[0]), len(tail), sum(map(len, tail)))
        )
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


Relay = Callable[[int, bytes, "str | None"], None]
"""relay(document_id, update, skip_sid): send committed updates to the room."""

# One writer per process for every document (group_commit): updates that
# arrive together are committed together whichever documents they edit.
PROCESS = "updates"


@dataclass(frozen=True)
class _Update:
    who: User | Credential
    document_id: int
    update: bytes
    shape: update_format.Shape
    sender: str | None
    relay: Relay | None


def accept_update(
    who: User | Credential,
    document_id: int,
    update: bytes,
    sender: str | None = None,
    relay: Relay | None = None,
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
            require_document(s, _standing(s, who, {}), document_id, Need.EDIT)
        return
    writers.submit(PROCESS, _Update(who, document_id, update, shape, sender, relay))


def queued(document_id: int) -> int:
    """Updates of this document waiting for this process's writer."""
    return writers.queued(PROCESS, lambda u: u.document_id == document_id)


def _standing(session: Session, who: User | Credential, known: dict[Credential, User]) -> User:
    if isinstance(who, User):
        return who
    user = known.get(who)
    if user is None:
        user = known[who] = require_standing(session, who)
    return user


class _Items:
    """A list handed out like a writer's queue (the retry after a compaction)."""

    def __init__(self, items: list[Pending[_Update]]) -> None:
        self._items = deque(items)

    def __call__(self) -> Pending[_Update] | None:
        return self._items.popleft() if self._items else None

    def peek(self) -> Pending[_Update] | None:
        return self._items[0] if self._items else None

    def waiting(self) -> int:
        return len(self._items)


class _Batch:
    """What one leader commits: updates of any documents, in one transaction
    (each in a savepoint of its own: one that is refused leaves no trace and
    does not stop the others; a lone update needs none), holding the live
    document of each while its updates are stored and merged."""

    def __init__(self) -> None:
        self.before: dict[int, dict[int, int]] = {}  # what each room had before
        self.done: dict[int, list[Pending[_Update]]] = {}
        self.used: dict[int, store.Usage] = {}
        self.deferred: dict[int, list[Pending[_Update]]] = {}  # compact first
        self.without_live: list[Pending[_Update]] = []

    def store(self, take: Take[_Update] | _Items, final: bool) -> None:
        stored: list[tuple[Pending[_Update], int, User]] = []
        refused: list[tuple[Pending[_Update], Exception]] = []
        lives: dict[int, LiveDoc] = {}
        dirty: set[int] = set()  # live docs holding an update that is not stored
        documents: dict[int, Document] = {}  # held: the identity map only keeps referenced rows
        known: dict[Credential, User] = {}
        with ExitStack() as locks:

            def lock(document_id: int) -> LiveDoc | None:
                # Locked before its update is taken: what queues while the
                # lock is awaited joins this batch. Only the leader holds more
                # than one live lock, so the order it takes them in cannot
                # deadlock.
                live = lives.get(document_id)
                if live is None and (live := registry.get(document_id)) is not None:
                    locks.enter_context(live.lock)
                    lives[document_id] = live
                    self.before.setdefault(document_id, crdt.state_vector(live.doc))
                return live

            first = take.peek()
            if first is None:
                return
            # The first lock before the transaction: on SQLite an open write
            # transaction would hold up whoever holds the live lock.
            lock(first.payload.document_id)
            try:
                with db.transaction() as s:
                    while (item := take.peek()) is not None:
                        u = item.payload
                        live = lock(u.document_id)
                        take()
                        if live is None:
                            self.without_live.append(item)
                            continue
                        lone = not stored and not refused and take.waiting() == 0
                        applied = False
                        try:
                            with nullcontext() if lone else s.begin_nested():
                                user = _standing(s, u.who, known)
                                documents[u.document_id] = require_document(
                                    s, user, u.document_id, Need.EDIT
                                )
                                seq, row_used = store.append_update(
                                    s, u.document_id, u.update, user.id
                                )
                                applied = True
                                live.apply(u.update, u.shape.requires)
                                if crdt.text_bytes(live.doc) > MAX_TEXT_BYTES:
                                    _recheck_size(s, live, u.update)
                        except (store.StorageFull, store.CompactionNeeded) as err:
                            # Raised before anything is written.
                            if final or (isinstance(err, store.StorageFull) and not err.foldable):
                                refused.append((item, err))
                            else:
                                self.deferred.setdefault(u.document_id, []).append(item)
                            continue
                        except Exception as err:
                            if applied:
                                dirty.add(u.document_id)
                            if lone and (applied or not isinstance(err, AppError)):
                                raise  # no savepoint to undo it: the transaction goes
                            refused.append((item, err))
                            continue
                        stored.append((item, seq, user))
                        self.used[u.document_id] = row_used
                    # Each author's edit, in the order stored (note_edit
                    # coalesces them as it did one commit each).
                    for item, _, user in stored:
                        note_edit(s, documents[item.payload.document_id], user)
            except Exception:
                for item, err in refused:
                    item.fail(err)
                for document_id in dirty | {i.payload.document_id for i, _, _ in stored}:
                    _rebuild(lives[document_id])
                raise
            for document_id in dirty:
                _rebuild(lives[document_id])
            for item, seq, _ in stored:
                if item.payload.document_id not in dirty:
                    live = lives[item.payload.document_id]
                    live.applied.add(seq)
                    live.weight += len(item.payload.update)
        for live in lives.values():
            registry.weigh(live)
        for item, err in refused:
            item.fail(err)
        for item, _, _ in stored:
            item.resolve()
            self.done.setdefault(item.payload.document_id, []).append(item)


def _commit(_key: object, take: Take[_Update]) -> Callable[[], None] | None:
    """Store what `take` hands out, in one transaction for the documents open
    here; those that need a compaction first are compacted (a transaction of
    their own, as store.with_room) and tried once more; those not open here
    are stored one by one against the stored state."""
    batch = _Batch()
    failure = None
    try:
        batch.store(take, final=False)
    except Exception as err:  # what else was committed is still relayed
        failure = err
    for document_id, deferred in batch.deferred.items():
        try:
            store.compact(document_id)
            batch.store(_Items(deferred), final=True)
        except Exception as err:
            for item in deferred:
                if not item.done:
                    item.fail(err)
    for item in batch.without_live:
        _commit_without_live(batch, item)
    if failure is not None:
        for item in take.taken:
            if not item.done:
                item.fail(failure)
    afters = [
        _after_commit(document_id, done, batch.used.get(document_id), batch.before.get(document_id))
        for document_id, done in batch.done.items()
    ]

    def after() -> None:
        for each in afters:
            try:
                each()
            except Exception:  # one room's relay does not keep the others'
                log.exception("relaying a batch failed")

    return after


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
            f"{MAX_TEXT_BYTES} bytes (1 MB).",
            code="document_too_large",
        )


def _rebuild(live: LiveDoc) -> None:
    live.reset()
    with db.reading() as s:
        loaded = store.load_for(s, live.document_id, None, set())
    live.absorb(loaded.mark, loaded.states, loaded.seqs, loaded.full)
    registry.weigh(live)


def _store_without_live(who: User | Credential, document_id: int, update: bytes) -> store.Usage:
    with db.transaction() as s:
        user = _standing(s, who, {})
        document = require_document(s, user, document_id, Need.EDIT)
        store.lock_document(s, document_id)
        doc = store.load_doc(s, document_id)
        doc.apply_update(update)
        size = crdt.text_bytes(doc)
        if size > MAX_TEXT_BYTES:
            raise PayloadTooLarge(
                f"With this update the text would be {size} bytes of UTF-8; the limit is "
                f"{MAX_TEXT_BYTES} bytes (1 MB).",
                code="document_too_large",
            )
        _, used = store.append_update(s, document_id, update, user.id)
        note_edit(s, document, user)
        return used


def _commit_without_live(batch: _Batch, item: Pending[_Update]) -> None:
    """Nobody has the document open here: the update on its own, checked
    against the stored state (rare: the cache dropped it while edited)."""
    u = item.payload
    try:
        batch.used[u.document_id] = store.with_room(
            u.document_id, lambda: _store_without_live(u.who, u.document_id, u.update)
        )
    except Exception as err:
        item.fail(err)
        return
    item.resolve()
    batch.done.setdefault(u.document_id, []).append(item)


def _after_commit(
    document_id: int,
    done: list[Pending[_Update]],
    used: store.Usage | None,
    before: dict[int, int] | None,
) -> Callable[[], None]:
    """Queue a compaction if due, and relay the batch: its updates merged into
    one (Yjs mergeUpdates), to the whole room when several connections sent
    them (each sender then gets its own update back too, which Yjs applies as
    a no-op: cheaper than merging a different update for every sender), and
    skipping the sender when there was one. Updates that would leave a gap in
    the merge (crdt.mergeable: one that builds on an update not relayed yet,
    with `before` the state the room had) are relayed on their own, as before."""
    relay = next((i.payload.relay for i in done if i.payload.relay is not None), None)

    def after() -> None:
        if used is not None:
            store.note_usage(document_id, used)
        if relay is None:
            return
        merge = set(
            crdt.mergeable(before, [(i.payload.update, i.payload.shape.requires) for i in done])
            if before is not None and len(done) > 1
            else ()
        )
        if len(merge) > 1:
            group = [done[i] for i in sorted(merge)]
            senders = {item.payload.sender for item in group}
            relay(
                document_id,
                merge_updates(*(item.payload.update for item in group)),
                senders.pop() if len(senders) == 1 else None,
            )
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
