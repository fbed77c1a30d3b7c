"""Evidence packs: planned by the `evidence` outbox consumer when a milestone
is reached, built by a background job, announced with an event.

The consumer only inserts a pending row (in the outbox's transaction) and,
after that commits, queues the build. The build reads, renders outside any
transaction, then stores the PDF under a row lock so two runs store it once.
A periodic sweep rebuilds packs whose job was lost. A pack ends `ready` or
`failed`: a failure a retry cannot fix fails it at once, a transient one
leaves it pending for the sweep, for at most MAX_ATTEMPTS builds.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs import failures
from workspace.db import db, utcnow
from workspace.events import after_commit
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.events.models import Event
from workspace.evidence.collect import collect, content_hash
from workspace.evidence.models import EvidencePack
from workspace.evidence.pdf import render_pdf
from workspace.files.service import IMAGE_TYPES
from workspace.files.storage import storage, thumb_key
from workspace.files.thumbs import make_thumbnail
from workspace.milestones.models import Milestone

log = logging.getLogger(__name__)
BUILD = "workspace.evidence.build.build_pack"
MAX_ATTEMPTS = 3


def plan_packs(session: Session, events: list[Event]) -> None:
    for e in events:
        if e.type != ev.MILESTONE_REACHED:
            continue
        milestone_id = ((e.data or {}).get("milestone") or {}).get("id")
        if milestone_id is None:
            continue
        exists = session.scalar(
            select(EvidencePack.id).where(EvidencePack.milestone_id == milestone_id)
        )
        if exists is not None:
            continue
        pack = EvidencePack(
            milestone_id=milestone_id, workspace_id=e.workspace_id, status="pending"
        )
        session.add(pack)
        session.flush()
        after_commit.enqueue(session, BUILD, pack.id, job_id=f"evidence-{pack.id}")


def _claim(pack_id: int) -> tuple[int, int] | str:
    """(milestone id, attempts) of a pending pack, counting this attempt."""
    with db.transaction() as s:
        pack = s.get(EvidencePack, pack_id, with_for_update=True)
        if pack is None or pack.status != "pending":
            return "nothing to do"
        pack.attempts += 1
        if pack.attempts > MAX_ATTEMPTS:
            _fail(
                s,
                pack,
                f"gave up after {MAX_ATTEMPTS} attempts; last error: "
                f"{pack.error or 'the build stopped without saying why'}",
            )
            return "failed"
        return pack.milestone_id, pack.attempts


def _fail(s: Session, pack: EvidencePack, error: str) -> None:
    """Failed for good, and said where people look: the pack's state, the
    workspace's feed (`milestone.evidence_failed`), /healthz."""
    pack.status, pack.error, pack.finished_at = "failed", error[:500], utcnow()
    milestone = s.get(Milestone, pack.milestone_id)
    record_event(
        s,
        pack.workspace_id,
        ev.MILESTONE_EVIDENCE_FAILED,
        {
            "milestone": {
                "id": pack.milestone_id,
                "title": milestone.title if milestone is not None else "",
            },
            "pack": {"error": pack.error},
        },
    )


def build_pack(pack_id: int) -> str:
    claimed = _claim(pack_id)
    if isinstance(claimed, str):
        return claimed
    milestone_id, attempts = claimed
    try:
        with db.reading() as s:
            data = collect(s, milestone_id)
        if data is None:
            raise LookupError("the milestone is gone")
        digest = content_hash(data)
        pdf = render_pdf(data, digest, _images(data))
    except Exception as err:
        log.exception("evidence pack %s failed", pack_id)
        error = failures.describe(err)
        with db.transaction() as s:
            row = s.get(EvidencePack, pack_id, with_for_update=True)
            if row is None or row.status != "pending":
                return "nothing to do"
            if failures.is_transient(err) and attempts < MAX_ATTEMPTS:
                row.error = error  # pending: the sweep tries again
                return "retrying: " + error
            _fail(s, row, error)
        return "failed: " + error
    with db.transaction() as s:
        row = s.get(EvidencePack, pack_id, with_for_update=True)
        if row is None or row.status != "pending":
            return "nothing to do"
        row.status, row.pdf, row.error = "ready", pdf, None
        row.content_hash, row.file_hash = digest, hashlib.sha256(pdf).hexdigest()
        row.finished_at = utcnow()
        record_event(
            s,
            row.workspace_id,
            ev.MILESTONE_EVIDENCE_READY,
            {
                "milestone": {"id": data["milestone"]["id"], "title": data["milestone"]["title"]},
                "pack": {
                    "content_hash": digest,
                    "url": f"/api/v1/milestones/{row.milestone_id}/evidence.pdf",
                },
            },
        )
    return "ready"


def _images(data: dict) -> dict[str, bytes]:
    """Thumbnails (bounded in size, decoded safely) of the pack's pictures;
    one not made yet is made now."""
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
    """The sweep: packs still pending (a lost job, a transient failure) get
    another run; a failed pack stays failed."""
    with db.reading() as s:
        ids = list(
            s.scalars(
                select(EvidencePack.id)
                .where(EvidencePack.status == "pending")
                .order_by(EvidencePack.id)
                .limit(50)
            )
        )
    return sum(1 for pack_id in ids if build_pack(pack_id) == "ready")


def health(s: Session) -> dict[str, Any]:
    """/healthz: packs waiting to be built, and failed (their `error` says why)."""
    counts = dict(
        s.execute(
            select(EvidencePack.status, func.count())
            .where(EvidencePack.status.in_(("pending", "failed")))
            .group_by(EvidencePack.status)
        ).all()
    )
    return {"evidence_packs": {k: int(counts.get(k, 0)) for k in ("pending", "failed")}}
