"""Funding tranches and who may fetch an evidence pack.

Tranches are the program's money: admins and the managers overseeing the
workspace set them; every reader of the workspace sees them. Evidence packs
go to managers overseeing the workspace, admins and the workspace's owners
(the two leads).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, can, require_row
from workspace.auth.models import User
from workspace.errors import Forbidden, NotFound
from workspace.evidence.models import EvidencePack, MilestoneTranche
from workspace.milestones.models import Milestone


def _milestone(session: Session, actor: User, milestone_id: int) -> Milestone:
    return require_row(session, actor, Milestone, milestone_id, Need.READ, "Milestone not found.")


def tranche_payload(m: Milestone, t: MilestoneTranche | None) -> dict[str, Any]:
    return {
        "milestone_id": m.id,
        "amount": None if t is None else str(t.amount),
        "currency": None if t is None else t.currency,
        "released": t is not None and m.status == "reached",
    }


def get_tranche(session: Session, actor: User, milestone_id: int) -> dict[str, Any]:
    m = _milestone(session, actor, milestone_id)
    return tranche_payload(m, session.get(MilestoneTranche, m.id))


def _may_fund(session: Session, actor: User, m: Milestone) -> None:
    if not can(session, actor, m.workspace_id, Need.FUND):
        raise Forbidden(
            "Only admins and the program managers overseeing this workspace set funding."
        )


def set_tranche(
    session: Session, actor: User, milestone_id: int, amount: Decimal, currency: str
) -> dict[str, Any]:
    m = _milestone(session, actor, milestone_id)
    _may_fund(session, actor, m)
    t = session.get(MilestoneTranche, m.id)
    if t is None:
        t = MilestoneTranche(
            milestone_id=m.id, amount=amount, currency=currency, updated_by_id=actor.id
        )
        session.add(t)
    else:
        t.amount, t.currency, t.updated_by_id = amount, currency, actor.id
    session.flush()
    return tranche_payload(m, t)


def delete_tranche(session: Session, actor: User, milestone_id: int) -> None:
    m = _milestone(session, actor, milestone_id)
    _may_fund(session, actor, m)
    t = session.get(MilestoneTranche, m.id)
    if t is not None:
        session.delete(t)


def get_pack(session: Session, actor: User, milestone_id: int) -> EvidencePack:
    m = _milestone(session, actor, milestone_id)
    if not can(session, actor, m.workspace_id, Need.EVIDENCE):
        raise Forbidden("Evidence packs go to the workspace's leads and its program managers.")

    pack = session.scalar(select(EvidencePack).where(EvidencePack.milestone_id == m.id))
    if pack is None:
        raise NotFound("No evidence pack: it is made when the milestone is reached.")
    return pack


def pack_payload(pack: EvidencePack) -> dict[str, Any]:
    return {
        "milestone_id": pack.milestone_id,
        "status": pack.status,
        "content_hash": pack.content_hash,
        "file_hash": pack.file_hash,
        "created_at": pack.created_at,
        "finished_at": pack.finished_at,
        "error": pack.error,
        "download_url": f"/api/v1/milestones/{pack.milestone_id}/evidence.pdf"
        if pack.status == "ready"
        else None,
    }
