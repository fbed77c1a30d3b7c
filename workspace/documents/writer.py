"""This process's co-editing writer: updates that arrive together, to any
documents, are committed in one transaction (group_commit.py). Each has its
own credential, access and size checks, decided before anything is written,
so one that is refused fails alone without a savepoint; what the checks read
(credentials, documents locked with their usage, memberships) is read once
for the whole batch, so a batch costs a few round trips to the database
however many updates it holds, where each update used to cost seven. An
update is stored if the document has room for it (store.check_room,
compacting first if needed) and applied to the live document (to check the
size limit on the merged text); if a live
document took an update that was not stored, or the transaction fails, it is
rebuilt from the database. Each document's part of a batch is relayed once,
merged.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from pycrdt import Doc, merge_updates
from sqlalchemy.orm import Session

from workspace.auth.access import Need, check_rows
from workspace.auth.credentials import (
    Credential,
    CredentialEnded,
    recheck_many,
    require_standing,
    standing_or_ended,
)
from workspace.auth.models import User
from workspace.db import db
from workspace.documents import crdt, store, update_format
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.documents.live import LiveDoc, registry
from workspace.documents.models import Document
from workspace.documents.service import (
    MAX_TEXT_BYTES,
    note_edit,
    note_edits,
    require_document,
)
from workspace.errors import PayloadTooLarge

log = logging.getLogger(__name__)

Relay = Callable[[list[tuple[int, bytes, "str | None"]]], None]
"""relay([(document_id, update, skip_sid), ...]): send a batch's committed
updates, each to its document's room (all at once: with Redis, one round trip
to the other processes)."""

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


class _Batch:
    """What one leader commits: updates of any documents, in one transaction
    (one that is refused leaves no trace and does not stop the others),
    holding the live document of each while its updates are stored and
    merged."""

    def __init__(self) -> None:
        self.before: dict[int, dict[int, int]] = {}  # what each room had before
        self.done: dict[int, list[Pending[Update]]] = {}
        self.used: dict[int, store.Usage] = {}  # with the batch's accepted updates
        self.deferred: dict[int, list[Pending[Update]]] = {}  # compact first
        self.without_live: list[Pending[Update]] = []

    def store(self, take: Take[Update] | _Items, final: bool) -> None:
        lives: dict[int, LiveDoc] = {}
        stored: list[tuple[Pending[Update], int]] = []
        refused: list[tuple[Pending[Update], Exception]] = []
        touched: set[int] = set()  # live docs given an update of this batch
        dirty: set[int] = set()  # of those, the ones holding one that is not stored
        with ExitStack() as locks:
            items = self._take(take, lives, locks)
            if not items:
                return
            try:
                with db.transaction() as s:
                    accepted = _check(s, items, lives, final, refused, dirty, self)
                    touched.update(i.payload.document_id for i, _, _ in accepted)
                    touched.update(dirty)
                    rows = [(i.payload.document_id, i.payload.update, u.id) for i, u, _ in accepted]
                    seqs = store.append_updates(s, rows)
                    stored = [(item, seq) for (item, _, _), seq in zip(accepted, seqs, strict=True)]
                    # Each author's edit, in the order stored (coalesced
                    # as they were one commit each).
                    note_edits(s, [(document, user) for _, user, document in accepted])
                    for document_id in {i.payload.document_id for i, _, _ in accepted}:
                        store.note_usage(s, document_id, self.used[document_id])
            except Exception:
                for item, err in refused:
                    item.fail(err)
                for document_id in touched:
                    _rebuild(lives[document_id])
                raise
            for document_id in dirty:
                _rebuild(lives[document_id])
            for item, seq in stored:
                if item.payload.document_id not in dirty:
                    live = lives[item.payload.document_id]
                    live.applied.add(seq)
                    live.weight += len(item.payload.update)
        for live in lives.values():
            registry.weigh(live)
        for item, err in refused:
            item.fail(err)
        for item, _ in stored:
            item.resolve()
            self.done.setdefault(item.payload.document_id, []).append(item)

    def _take(
        self, take: Take[Update] | _Items, lives: dict[int, LiveDoc], locks: ExitStack
    ) -> list[Pending[Update]]:
        """The batch: what is queued, each document's live copy locked before
        its update is taken (what queues while a lock is awaited joins the
        batch). All before the transaction opens: on SQLite an open write
        transaction would hold up whoever holds a live lock. Only the leader
        holds more than one live lock, so its order cannot deadlock."""
        items: list[Pending[Update]] = []
        while (item := take.peek()) is not None:
            document_id = item.payload.document_id
            live = lives.get(document_id)
            if live is None and (live := registry.get(document_id)) is not None:
                locks.enter_context(live.lock)
                lives[document_id] = live
                self.before.setdefault(document_id, crdt.state_vector(live.doc))
            take()
            if live is None:
                self.without_live.append(item)
            else:
                items.append(item)
        return items


def _check(
    s: Session,
    items: list[Pending[Update]],
    lives: dict[int, LiveDoc],
    final: bool,
    refused: list[tuple[Pending[Update], Exception]],
    dirty: set[int],
    batch: _Batch,
) -> list[tuple[Pending[Update], User, Document]]:
    """Each update's checks, with what they read once for the whole batch
    (credentials, documents locked with their usage, memberships: a few
    statements however many updates), then applied to its live document.
    Returns those to store; the refused go to `refused` (with their live
    document in `dirty` if it took the update), those needing a compaction
    first to the batch's `deferred`, each document's usage once its
    accepted updates are stored to the batch's `used`."""
    credentials = {i.payload.who for i in items if isinstance(i.payload.who, Credential)}
    answers = recheck_many(s, credentials)
    users: dict[int, User | Exception] = {}
    for n, item in enumerate(items):
        who = item.payload.who
        if isinstance(who, User):
            users[n] = who
            continue
        try:
            users[n] = standing_or_ended(who, *answers[who])
        except CredentialEnded as err:
            users[n] = err
    rows = store.lock_with_usage(s, sorted(lives))
    standing_ones = [n for n, user in users.items() if isinstance(user, User)]
    answers_of_rows = check_rows(
        s,
        [(users[n], rows.get(items[n].payload.document_id, (None,))[0]) for n in standing_ones],
        Need.EDIT,
        "Document not found.",
    )
    verdicts = dict(zip(standing_ones, answers_of_rows, strict=True))
    used = {document_id: row[1] for document_id, row in rows.items()}
    accepted: list[tuple[Pending[Update], User, Document]] = []
    for n, item in enumerate(items):
        u = item.payload
        user = users[n]
        error = user if isinstance(user, Exception) else verdicts[n]
        if error is not None:
            refused.append((item, error))
            continue
        assert isinstance(user, User)
        try:
            after = store.check_room(used[u.document_id], u.update)
        except (store.StorageFull, store.CompactionNeeded) as err:
            if final or (isinstance(err, store.StorageFull) and not err.foldable):
                refused.append((item, err))
            else:
                batch.deferred.setdefault(u.document_id, []).append(item)
            continue
        live = lives[u.document_id]
        try:
            live.apply(u.update, u.shape.requires)
            if crdt.text_bytes(live.doc) > MAX_TEXT_BYTES:
                _recheck_size(s, live, u.update)
        except Exception as err:
            refused.append((item, err))
            dirty.add(u.document_id)
            continue
        used[u.document_id] = batch.used[u.document_id] = after
        accepted.append((item, user, rows[u.document_id][0]))
    return accepted


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
    done = dict(batch.done)

    def after() -> None:
        by_relay: dict[Relay, list[tuple[int, bytes, str | None]]] = {}
        for document_id, items in done.items():
            try:  # one room's trouble does not keep the others' relays
                relay = next((i.payload.relay for i in items if i.payload.relay), None)
                if relay is not None:
                    relays = _relays(document_id, items, batch.before.get(document_id))
                    by_relay.setdefault(relay, []).extend(relays)
            except Exception:  # what was committed stays committed and acknowledged
                log.exception("after committing updates of document %s", document_id)
        for relay, relays in by_relay.items():
            try:
                relay(relays)
            except Exception:
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


def _relays(
    document_id: int, done: list[Pending[Update]], before: dict[int, int] | None
) -> list[tuple[int, bytes, str | None]]:
    """A document's part of the batch, to relay: its updates merged into one
    (Yjs mergeUpdates), to the whole room when several connections sent
    them (each sender then gets its own update back too, which Yjs applies as
    a no-op: cheaper than merging a different update for every sender), and
    skipping the sender when there was one. Updates that would leave a gap in
    the merge (crdt.mergeable: one that builds on an update not relayed yet,
    with `before` the state the room had) are relayed on their own, as before."""
    merge = set(
        crdt.mergeable(before, [(i.payload.update, i.payload.shape.requires) for i in done])
        if before is not None and len(done) > 1
        else ()
    )
    relays: list[tuple[int, bytes, str | None]] = []
    if len(merge) > 1:
        group = [done[i] for i in sorted(merge)]
        senders = {item.payload.sender for item in group}
        relays.append(
            (
                document_id,
                merge_updates(*(item.payload.update for item in group)),
                senders.pop() if len(senders) == 1 else None,
            )
        )
    for i, item in enumerate(done):
        if len(merge) <= 1 or i not in merge:
            relays.append((document_id, item.payload.update, item.payload.sender))
    return relays


def submit(update: Update) -> None:
    """Return once `update` is committed; raise its own error if it was not."""
    writers.submit(PROCESS, update)
