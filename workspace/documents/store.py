"""Storing a document's CRDT: a snapshot (full state) plus the updates since.

Reading takes a share lock on the snapshot row and compaction an exclusive
one, so a reader never sees the new snapshot without the updates it merged
nor the old snapshot without the updates it deleted. Compaction applies the
stored updates to a fresh document and stores its full state in the same
transaction that deletes exactly the rows it applied; it never rebuilds from
plain text (a client reconnecting with the old history would then see every
character twice).
"""

from __future__ import annotations

import logging

from pycrdt import Doc
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from workspace.db import db, utcnow
from workspace.documents import crdt
from workspace.documents.models import DocumentSnapshot, DocumentUpdate

log = logging.getLogger(__name__)

# Compact once this many updates pile up; a join past it asks for a compaction.
COMPACT_AFTER = 200
_DELETE_CHUNK = 1000


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


def append_update(session: Session, document_id: int, data: bytes, user_id: int | None) -> None:
    session.add(DocumentUpdate(document_id=document_id, data=data, user_id=user_id))


def pending_count(session: Session, document_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(DocumentUpdate)
        .where(DocumentUpdate.document_id == document_id)
    ) or 0


def compact(document_id: int, minimum: int = 1) -> int:
    """Fold the stored updates into the snapshot; returns how many were folded."""
    with db.transaction() as s:
        snapshot = s.scalar(
            select(DocumentSnapshot)
            .where(DocumentSnapshot.document_id == document_id)
            .with_for_update()
        )
        if snapshot is None:
            return 0
        rows = s.execute(
            select(DocumentUpdate.seq, DocumentUpdate.data)
            .where(DocumentUpdate.document_id == document_id)
            .order_by(DocumentUpdate.seq)
        ).all()
        if len(rows) < minimum or not rows:
            return 0
        doc = crdt.new_doc(snapshot.state, *(row.data for row in rows))
        snapshot.state = doc.get_update()
        snapshot.merged_updates += len(rows)
        snapshot.compacted_at = utcnow()
        seqs = [row.seq for row in rows]
        for i in range(0, len(seqs), _DELETE_CHUNK):
            s.execute(delete(DocumentUpdate).where(
                DocumentUpdate.seq.in_(seqs[i:i + _DELETE_CHUNK])))
        return len(rows)


def documents_to_compact(limit: int = 100) -> list[int]:
    with db.reading() as s:
        rows = s.execute(
            select(DocumentUpdate.document_id)
            .group_by(DocumentUpdate.document_id)
            .having(func.count() >= COMPACT_AFTER)
            .limit(limit)
        ).all()
    return [row.document_id for row in rows]


def compact_documents() -> dict[str, int]:
    """Periodic job: compact every document with a long tail of updates."""
    folded = 0
    ids = documents_to_compact()
    for document_id in ids:
        try:
            folded += compact(document_id)
        except Exception:
            log.exception("compaction of document %s failed; it stays as it was", document_id)
    return {"documents": len(ids), "updates": folded}


def compact_document(document_id: int) -> int:
    """Job enqueued when a document opens with a long tail."""
    return compact(document_id, minimum=COMPACT_AFTER)
