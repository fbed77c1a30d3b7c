"""Storing a document's CRDT: a snapshot (full state) plus the updates since.

Reading takes a share lock on the snapshot row and compaction an exclusive
one, so a reader never sees the new snapshot without the updates it merged
nor the old snapshot without the updates it deleted. Compaction applies the
stored updates to a fresh document and stores its full state in the same
transaction that deletes exactly the rows it applied; rows still waiting for
an update they build on (committed out of order, or never: it was refused)
stay rows, since Yrs would drop them from the full state. It never rebuilds
from plain text (a client reconnecting with the old history would then see
every character twice).

What one document stores is bounded in bytes, not only in text: an update
that deletes what it inserts leaves the text as it was and still has to be
stored. Past COMPACT_AFTER rows or COMPACT_AFTER_BYTES of updates a
compaction is queued (deleted text then keeps only its length). An append
that would pass `DOCUMENT_MAX_STORED_BYTES` (snapshot plus updates), or that
finds COMPACT_NOW_AFTER rows waiting because no worker kept up, compacts at
once and tries again (`with_room`); only what still does not fit is refused.

Writers lock the document's row before they read its stored state, in that
order, like every other transaction that locks the row and then reads the
state (automatic versions): the limit holds across web processes, and no
writer waits for a lock another holds while holding one it wants.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_app_context
from pycrdt import Doc
from sqlalchemy import bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from workspace.db import db, utcnow
from workspace.documents import crdt
from workspace.documents.models import Document, DocumentSnapshot, DocumentUpdate
from workspace.errors import PayloadTooLarge
from workspace.events import after_commit

log = logging.getLogger(__name__)

COMPACT_AFTER = 200  # stored update rows
COMPACT_AFTER_BYTES = 1024 * 1024  # bytes of stored update rows
COMPACT_NOW_AFTER = 2000  # rows: the queued compaction is not keeping up
DEFAULT_MAX_STORED_BYTES = 16 * 1024 * 1024  # DOCUMENT_MAX_STORED_BYTES
_DELETE_CHUNK = 1000
_REQUEUE_AFTER = 10.0  # seconds before this process asks again for one document

T = TypeVar("T")


class StorageFull(PayloadTooLarge):
    code = "document_storage_full"

    def __init__(self, message: str, *, foldable: bool, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.foldable = foldable  # a compaction might make room


class CompactionNeeded(Exception):
    """Too many rows wait: compact before appending (see with_room)."""


@dataclass(frozen=True)
class Usage:
    snapshot_bytes: int
    updates: int
    update_bytes: int

    @property
    def total(self) -> int:
        return self.snapshot_bytes + self.update_bytes

    @property
    def compaction_due(self) -> bool:
        return self.updates >= COMPACT_AFTER or self.update_bytes >= COMPACT_AFTER_BYTES


@dataclass(frozen=True)
class Loaded:
    """What a live document lacks of the stored state (see load_for)."""

    mark: int  # the snapshot's generation: it changes with every compaction
    states: list[bytes]
    seqs: list[int]  # the update rows among `states`
    full: bool  # the snapshot is among `states`


def max_stored_bytes() -> int:
    if has_app_context():
        return current_app.extensions["jointlab.settings"].document_max_stored_bytes
    return DEFAULT_MAX_STORED_BYTES


# ------------------------------------------------------------------ reading
def create_snapshot(session: Session, document_id: int, state: bytes) -> None:
    session.add(DocumentSnapshot(document_id=document_id, state=state, merged_updates=0))


def load_states(session: Session, document_id: int) -> list[bytes]:
    """The snapshot first, then every stored update, in the order stored."""
    snapshot = session.scalar(
        select(DocumentSnapshot.state)
        .where(DocumentSnapshot.document_id == document_id)
        .with_for_update(read=True)
    )
    updates = session.scalars(
        select(DocumentUpdate.data)
        .where(DocumentUpdate.document_id == document_id)
        .order_by(DocumentUpdate.seq)
    ).all()
    return [snapshot or b"", *updates]


def load_doc(session: Session, document_id: int) -> Doc:
    return crdt.new_doc(*load_states(session, document_id))


def read_doc(document_id: int) -> Doc:
    with db.reading() as s:
        return load_doc(s, document_id)


def load_for(session: Session, document_id: int, mark: int | None, applied: set[int]) -> Loaded:
    """The stored state a live document built from snapshot generation `mark`
    and the rows `applied` still lacks: only the rows it has not seen while
    the snapshot is unchanged, everything after a compaction (or when `mark`
    is None). A join thus reads what is new, not the whole history again."""
    generation = session.scalar(
        select(DocumentSnapshot.merged_updates)
        .where(DocumentSnapshot.document_id == document_id)
        .with_for_update(read=True)
    )
    if generation is None:  # deleted meanwhile
        return Loaded(0, [], [], True)
    if mark is None or generation != mark:
        state = session.scalar(
            select(DocumentSnapshot.state).where(DocumentSnapshot.document_id == document_id)
        )
        rows = session.execute(
            select(DocumentUpdate.seq, DocumentUpdate.data)
            .where(DocumentUpdate.document_id == document_id)
            .order_by(DocumentUpdate.seq)
        ).all()
        return Loaded(
            generation, [state or b"", *(r.data for r in rows)], [r.seq for r in rows], True
        )
    seqs = session.scalars(
        select(DocumentUpdate.seq).where(DocumentUpdate.document_id == document_id)
    ).all()
    missing = sorted(seq for seq in seqs if seq not in applied)
    rows = []
    for i in range(0, len(missing), _DELETE_CHUNK):
        rows += session.execute(
            select(DocumentUpdate.seq, DocumentUpdate.data)
            .where(DocumentUpdate.seq.in_(missing[i : i + _DELETE_CHUNK]))
            .order_by(DocumentUpdate.seq)
        ).all()
    return Loaded(generation, [r.data for r in rows], [r.seq for r in rows], False)


def _usage_columns() -> tuple[Any, Any, Any]:
    # Built once: constructing them was most of their cost (a millisecond,
    # on every update).
    snapshot = (
        select(func.length(DocumentSnapshot.state))
        .where(DocumentSnapshot.document_id == Document.id)
        .scalar_subquery()
    )
    count = (
        select(func.count())
        .select_from(DocumentUpdate)
        .where(DocumentUpdate.document_id == Document.id)
        .scalar_subquery()
    )
    size = (
        select(func.coalesce(func.sum(func.length(DocumentUpdate.data)), 0))
        .where(DocumentUpdate.document_id == Document.id)
        .scalar_subquery()
    )
    return snapshot, count, size


_USAGE_COLUMNS = _usage_columns()
_USAGE = select(*_USAGE_COLUMNS).where(Document.id == bindparam("document_id"))
_USAGE_LOCKING = _USAGE.with_for_update(of=Document)
_LOCK = select(Document.id).where(Document.id == bindparam("document_id")).with_for_update()


def _usage_of(row: Any) -> Usage:
    return Usage(row[0] or 0, row[1] or 0, row[2] or 0)


def usage(session: Session, document_id: int, *, lock: bool = False) -> Usage:
    """What the document stores; with `lock`, its row is locked for this
    transaction (see lock_document) by the same statement."""
    row = session.execute(
        _USAGE_LOCKING if lock else _USAGE, {"document_id": document_id}
    ).one_or_none()
    return Usage(0, 0, 0) if row is None else _usage_of(row)


def lock_with_usage(session: Session, document_ids: list[int]) -> dict[int, tuple[Document, Usage]]:
    """`usage(..., lock=True)` for several documents, with their rows: one
    statement, the rows locked in id order (two processes locking overlapping
    sets in another order could deadlock). A missing id is left out."""
    found = session.execute(
        select(Document, *_USAGE_COLUMNS)
        .where(Document.id.in_(document_ids))
        .order_by(Document.id)
        .with_for_update(of=Document)
    )
    return {row[0].id: (row[0], _usage_of(row[1:])) for row in found}


# ------------------------------------------------------------------ writing
def lock_document(session: Session, document_id: int) -> None:
    """Serialise the writers of one document (a no-op on SQLite, whose
    writers are serialised anyway). Take it before reading the stored state."""
    session.execute(_LOCK, {"document_id": document_id})


def append_update(
    session: Session, document_id: int, data: bytes, user_id: int | None
) -> tuple[int, Usage]:
    """Store one update if it fits; returns its seq and the usage with it.
    Raises StorageFull or CompactionNeeded with nothing stored."""
    used = check_room(usage(session, document_id, lock=True), data)
    return append_updates(session, [(document_id, data, user_id)])[0], used


def check_room(used: Usage, data: bytes) -> Usage:
    """The usage once `data` is stored, if it fits beside `used` (read under
    the document's row lock); StorageFull or CompactionNeeded if not."""
    limit = max_stored_bytes()
    if used.total + len(data) > limit:
        raise StorageFull(
            f"This document already stores {used.total} bytes of edit history; with this "
            f"update ({len(data)} bytes) it would pass the limit of {limit} bytes "
            "(DOCUMENT_MAX_STORED_BYTES), even after compaction. Nothing was stored; "
            "copy the text into a new document to continue.",
            fields={"update": [f"At most {limit} bytes of stored history per document."]},
            foldable=used.updates > 0,
        )
    if used.updates >= COMPACT_NOW_AFTER:
        raise CompactionNeeded
    return Usage(used.snapshot_bytes, used.updates + 1, used.update_bytes + len(data))


_UPDATES = DocumentUpdate.__table__
# Core, not the ORM's unit of work (which cost more than the rest of a
# batch's statements); in the order given, as the ORM's flush returned them.
_APPEND = insert(_UPDATES).returning(_UPDATES.c.seq, sort_by_parameter_order=True)


def append_updates(session: Session, rows: list[tuple[int, bytes, int | None]]) -> list[int]:
    """Store (document id, update, user id) rows already checked with
    `check_room` under their documents' locks; their seqs, in order. One
    INSERT for all of them (SQLAlchemy's insertmanyvalues)."""
    if not rows:
        return []
    found = session.execute(
        _APPEND, [{"document_id": d, "data": data, "user_id": u} for d, data, u in rows]
    )
    return list(found.scalars())


def with_room(document_id: int, attempt: Callable[[], T]) -> T:
    """Run a transaction that appends an update; if the document is full or
    has too long a tail, compact it (a transaction of its own) and run the
    transaction once more. What still does not fit is refused then."""
    try:
        return attempt()
    except StorageFull as full:
        if not full.foldable:
            raise
    except CompactionNeeded:
        pass
    compact(document_id)
    return attempt()


_asked: dict[int, float] = {}
_asked_lock = threading.Lock()


def note_usage(session: Session, document_id: int, used: Usage) -> None:
    """In the transaction that stored `used`: queue a compaction for after
    its commit when one is due, at most once every few seconds per document
    from this process (the job is de-duplicated by id; asking is a few Redis
    round trips). A transaction that rolls back after asking leaves the
    next ask to an append after those seconds, or to the periodic
    compact_documents."""
    if not used.compaction_due:
        return
    now = time.monotonic()
    with _asked_lock:
        if now - _asked.get(document_id, -_REQUEUE_AFTER) < _REQUEUE_AFTER:
            return
        _asked[document_id] = now
        if len(_asked) > 1000:
            for key in [k for k, at in _asked.items() if now - at >= _REQUEUE_AFTER]:
                del _asked[key]

    after_commit.enqueue(
        session,
        "workspace.documents.store.compact_document",
        document_id,
        job_id=f"compact-document:{document_id}",
    )


def forget_requests() -> None:
    """A new app starts without remembered requests (tests build many)."""
    with _asked_lock:
        _asked.clear()


# ------------------------------------------------------------------ compaction
def compact(document_id: int, only_if_due: bool = False) -> int:
    """Fold the stored updates into the snapshot; returns how many were folded."""
    with db.transaction() as s:
        snapshot = s.scalar(
            select(DocumentSnapshot)
            .where(DocumentSnapshot.document_id == document_id)
            .with_for_update()
        )
        if snapshot is None:
            return 0
        if only_if_due and not usage(s, document_id).compaction_due:
            return 0
        rows = s.execute(
            select(DocumentUpdate.seq, DocumentUpdate.data)
            .where(DocumentUpdate.document_id == document_id)
            .order_by(DocumentUpdate.seq)
        ).all()
        state, left = crdt.compact_state(snapshot.state, [row.data for row in rows])
        waiting = {rows[i].seq for i in left}
        seqs = [row.seq for row in rows if row.seq not in waiting]
        if not seqs:
            return 0
        snapshot.state = state
        snapshot.merged_updates += len(seqs)
        snapshot.compacted_at = utcnow()
        for i in range(0, len(seqs), _DELETE_CHUNK):
            s.execute(
                delete(DocumentUpdate).where(DocumentUpdate.seq.in_(seqs[i : i + _DELETE_CHUNK]))
            )
        return len(seqs)


def documents_to_compact(limit: int = 100) -> list[int]:
    with db.reading() as s:
        rows = s.execute(
            select(DocumentUpdate.document_id)
            .group_by(DocumentUpdate.document_id)
            .having(
                or_(
                    func.count() >= COMPACT_AFTER,
                    func.sum(func.length(DocumentUpdate.data)) >= COMPACT_AFTER_BYTES,
                )
            )
            .limit(limit)
        ).all()
    return [row.document_id for row in rows]


def compact_documents() -> dict[str, int]:
    """Periodic job: compact every document with a long or heavy tail."""
    folded = 0
    ids = documents_to_compact()
    for document_id in ids:
        try:
            folded += compact(document_id)
        except Exception:
            log.exception("compaction of document %s failed; it stays as it was", document_id)
    return {"documents": len(ids), "updates": folded}


def compact_document(document_id: int) -> int:
    """Job queued when a document's tail grows long or heavy."""
    return compact(document_id, only_if_due=True)
