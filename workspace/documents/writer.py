"""This process's co-editing writer: updates that arrive together, to any
documents, are committed in one transaction (group_commit.py), each in a
savepoint of its own with its own credential, access and size checks, so one
that is refused fails alone. An update is stored if the document has room
for it (store.append_update, compacting first if needed) and applied to the
live document (to check the size limit on the merged text); if a live
document took an update that was not stored, or the transaction fails, it is
rebuilt from the database. Each document's part of a batch is relayed once,
merged.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass

from pycrdt import Doc, merge_updates
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.credentials import Credential, require_standing
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store, update_format
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.documents.live import LiveDoc, registry
from workspace.documents.models import Document
from workspace.documents.service import MAX_TEXT_BYTES, note_edit, require_document
from workspace.errors import AppError, PayloadTooLarge

log = logging.getLogger(__name__)

Relay = Callable[[int, bytes, "str | None"], None]
"""relay(document_id, update, skip_sid): send committed updates to the room."""

# One writer per process for every document (group_commit): updates that
# arrive together are committed together whichever documents they edit.
PROCESS = "updates"


@dataclass(frozen=True)
class Update:
    who: User | Credential
    document_id: int
    update: bytes
    shape: update_format.Shape
    sender: str | None
    relay: Relay | None


def queued(document_id: int) -> int:
    """Updates of this document waiting for this process's writer."""
    return writers.queued(PROCESS, lambda u: u.document_id == document_id)


def standing(session: Session, who: User | Credential, known: dict[Credential, User]) -> User:
    if isinstance(who, User):
        return who
    user = known.get(who)
    if user is None:
        user = known[who] = require_standing(session, who)
    return user


class _Items:
    """A list handed out like a writer's queue (the retry after a compaction)."""

    def __init__(self, items: list[Pending[Update]]) -> None:
        self._items = deque(items)

    def __call__(self) -> Pending[Update] | None:
        return self._items.popleft() if self._items else None

    def peek(self) -> Pending[Update] | None:
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
        self.done: dict[int, list[Pending[Update]]] = {}
        self.deferred: dict[int, list[Pending[Update]]] = {}  # compact first
        self.without_live: list[Pending[Update]] = []

    def store(self, take: Take[Update] | _Items, final: bool) -> None:
        stored: list[tuple[Pending[Update], int, User]] = []
        refused: list[tuple[Pending[Update], Exception]] = []
        lives: dict[int, LiveDoc] = {}
        dirty: set[int] = set()  # live docs holding an update that is not stored
        documents: dict[int, Document] = {}  # held: the identity map only keeps referenced rows
        known: dict[Credential, User] = {}
        used: dict[int, store.Usage] = {}  # each document's, with its last update stored
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
                                user = standing(s, u.who, known)
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
                        used[u.document_id] = row_used
                    # Each author's edit, in the order stored (note_edit
                    # coalesces them as it did one commit each).
                    for item, _, user in stored:
                        note_edit(s, documents[item.payload.document_id], user)
                    # Outside the savepoints: one rolled back after asking
                    # would drop the compaction and keep the ask remembered.
                    for document_id, usage in used.items():
                        store.note_usage(s, document_id, usage)
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


def _commit(_key: object, take: Take[Update]) -> Callable[[], None] | None:
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
        _after_commit(document_id, done, batch.before.get(document_id))
        for document_id, done in batch.done.items()
    ]

    def after() -> None:
        for each in afters:
            try:
                each()
            except Exception:  # one room's relay does not keep the others'
                log.exception("relaying a batch failed")

    return after


writers: GroupCommit[Update] = GroupCommit(_commit)


def _refuse_if_too_large(doc: Doc) -> None:
    """`doc` with the update applied: over the limit, the update is refused."""
    size = crdt.text_bytes(doc)
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(
            f"With this update the text would be {size} bytes of UTF-8; the limit is "
            f"{MAX_TEXT_BYTES} bytes (1 MB).",
            code="document_too_large",
        )


def _recheck_size(session: object, live: LiveDoc, update: bytes) -> None:
    """The live doc may lack deletions accepted by another process; decide on
    the stored state before refusing."""
    fresh = store.load_doc(session, live.document_id)  # type: ignore[arg-type]
    fresh.apply_update(update)
    _refuse_if_too_large(fresh)


def _rebuild(live: LiveDoc) -> None:
    live.reset()
    with db.reading() as s:
        loaded = store.load_for(s, live.document_id, None, set())
    live.absorb(loaded.mark, loaded.states, loaded.seqs, loaded.full)
    registry.weigh(live)


def _store_without_live(who: User | Credential, document_id: int, update: bytes) -> None:
    with db.transaction() as s:
        user = standing(s, who, {})
        document = require_document(s, user, document_id, Need.EDIT)
        store.lock_document(s, document_id)
        doc = store.load_doc(s, document_id)
        doc.apply_update(update)
        _refuse_if_too_large(doc)
        _, used = store.append_update(s, document_id, update, user.id)
        note_edit(s, document, user)
        store.note_usage(s, document_id, used)


def _commit_without_live(batch: _Batch, item: Pending[Update]) -> None:
    """Nobody has the document open here: the update on its own, checked
    against the stored state (rare: the cache dropped it while edited)."""
    u = item.payload
    try:
        store.with_room(u.document_id, lambda: _store_without_live(u.who, u.document_id, u.update))
    except Exception as err:
        item.fail(err)
        return
    item.resolve()
    batch.done.setdefault(u.document_id, []).append(item)


def _after_commit(
    document_id: int,
    done: list[Pending[Update]],
    before: dict[int, int] | None,
) -> Callable[[], None]:
    """Relay the batch: its updates merged into one (Yjs mergeUpdates), to
    the whole room when several connections sent them (each sender then gets
    its own update back too, which Yjs applies as a no-op: cheaper than
    merging a different update for every sender), and skipping the sender
    when there was one. Updates that would leave a gap in the merge
    (crdt.mergeable: one that builds on an update not relayed yet, with
    `before` the state the room had) are relayed on their own, as before."""
    relay = next((i.payload.relay for i in done if i.payload.relay is not None), None)

    def after() -> None:
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


def submit(update: Update) -> None:
    """Return once `update` is committed; raise its own error if it was not."""
    writers.submit(PROCESS, update)
