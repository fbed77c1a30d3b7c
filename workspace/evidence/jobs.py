"""Evidence packs: planned by the `evidence` outbox consumer when a milestone
is reached, built by a background job, announced with an event.

The consumer only inserts a pending row (in the outbox's transaction) and,
after that commits, queues the build. The build reads, renders outside any
transaction, then stores the PDF under a row lock so two runs store it once.
A periodic sweep rebuilds packs whose job was lost.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.outbox import register
from jobs.queue import jobs
from workspace.db import db, utcnow
from workspace.events import record_event
from workspace.events import types as ev
from workspace.events.models import Event
from workspace.evidence.collect import collect, content_hash
from workspace.evidence.models import EvidencePack
from workspace.evidence.pdf import render_pdf

log = logging.getLogger(__name__)
BUILD = "workspace.evidence.jobs.build_pack"


def _enqueue_after_commit(session: Session, pack_ids: list[int]) -> None:
    def _go(_session: Session) -> None:
        for pack_id in pack_ids:
            jobs.enqueue(BUILD, pack_id, job_id=f"evidence-{pack_id}")

    sa_event.listen(session, "after_commit", _go, once=True)


@register("evidence")
def plan_packs(session: Session, events: list[Event]) -> None:
    created = []
    for e in events:
        if e.type != ev.MILESTONE_REACHED:
            continue
        milestone_id = ((e.data or {}).get("milestone") or {}).get("id")
        if milestone_id is None:
            continue
        exists = session.scalar(select(EvidencePack.id).where(
            EvidencePack.milestone_id == milestone_id))
        if exists is not None:
            continue
        pack = EvidencePack(milestone_id=milestone_id, workspace_id=e.workspace_id,
                            status="pending")
        session.add(pack)
        session.flush()
        created.append(pack.id)
    if created:
        _enqueue_after_commit(session, created)


def build_pack(pack_id: int) -> str:
    with db.reading() as s:
        pack = s.get(EvidencePack, pack_id)
        if pack is None or pack.status == "ready":
            return "nothing to do"
        data = collect(s, pack.milestone_id)
    if data is None:
        return "milestone gone"
    digest = content_hash(data)
    try:
        pdf = render_pdf(data, digest, _images(data))
    except Exception as err:
        log.exception("evidence pack %s failed", pack_id)
        with db.transaction() as s:
            row = s.get(EvidencePack, pack_id, with_for_update=True)
            if row is not None and row.status != "ready":
                row.status, row.error = "failed", str(err)[:500]
        return "failed"
    with db.transaction() as s:
        row = s.get(EvidencePack, pack_id, with_for_update=True)
        if row is None or row.status == "ready":
            return "nothing to do"
        row.status, row.pdf, row.error = "ready", pdf, None
        row.content_hash, row.file_hash = digest, hashlib.sha256(pdf).hexdigest()
        row.finished_at = utcnow()
        record_event(s, row.workspace_id, ev.MILESTONE_EVIDENCE_READY, {
            "milestone": {"id": data["milestone"]["id"], "title": data["milestone"]["title"]},
            "pack": {"content_hash": digest,
                     "url": f"/api/v1/milestones/{row.milestone_id}/evidence.pdf"},
        })
    return "ready"


def _images(data: dict) -> dict[str, bytes]:
    """Thumbnails (bounded in size, decoded safely) of the pack's pictures;
    one not made yet is made now."""
    from workspace.files.service import IMAGE_TYPES
    from workspace.files.storage import storage, thumb_key
    from workspace.files.thumbs import make_thumbnail

    out: dict[str, bytes] = {}
    for f in data.get("files") or []:
        if f["content_type"] not in IMAGE_TYPES or f["sha256"] in out or len(out) >= 12:
            continue
        if make_thumbnail(f["id"]) in ("ready", "nothing to do"):
            try:
                out[f["sha256"]] = b"".join(storage().read(thumb_key(f["sha256"])))
            except Exception:  # no thumbnail (not decodable): listed, not shown
                continue
    return out


def build_pending_packs() -> int:
    """The sweep: packs still pending (a lost job) or failed get another run."""
    with db.reading() as s:
        ids = list(s.scalars(select(EvidencePack.id).where(
            EvidencePack.status.in_(("pending", "failed"))).order_by(EvidencePack.id).limit(50)))
    return sum(1 for pack_id in ids if build_pack(pack_id) == "ready")
