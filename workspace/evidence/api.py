"""Funding tranches of milestones and their acceptance evidence packs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workspace.auth.access import Need
from workspace.auth.current import require_user
from workspace.db import db
from workspace.errors import Conflict
from workspace.evidence import service
from workspace.evidence.schemas import EvidencePackSchema, TrancheSchema, TrancheUpdateSchema
from workspace.http import attachment, endpoint, error_doc


@endpoint(
    "/milestones/<int:milestone_id>/funding",
    summary="A milestone's funding tranche",
    tag="funding",
    response=TrancheSchema(),
)
def get_funding(milestone_id: int) -> Any:
    with db.reading() as s:
        return service.get_tranche(s, require_user(), milestone_id)


@endpoint(
    "/milestones/<int:milestone_id>/funding",
    "PUT",
    need=Need.FUND,
    summary="Set a milestone's funding "
    "tranche (admins and overseeing managers); released when the milestone is reached",
    tag="funding",
    body=TrancheUpdateSchema(),
    response=TrancheSchema(),
)
def put_funding(milestone_id: int, data: dict) -> Any:
    with db.transaction() as s:
        return service.set_tranche(
            s, require_user(), milestone_id, Decimal(data["amount"]), data["currency"]
        )


@endpoint(
    "/milestones/<int:milestone_id>/funding",
    "DELETE",
    need=Need.FUND,
    summary="Remove a milestone's funding tranche",
    tag="funding",
)
def delete_funding(milestone_id: int) -> Any:
    with db.transaction() as s:
        service.delete_tranche(s, require_user(), milestone_id)


@endpoint(
    "/milestones/<int:milestone_id>/evidence",
    need=Need.EVIDENCE,
    summary="The acceptance evidence pack's state and hashes (leads and managers)",
    tag="funding",
    response=EvidencePackSchema(),
)
def get_evidence(milestone_id: int) -> Any:
    with db.reading() as s:
        return service.pack_payload(service.get_pack(s, require_user(), milestone_id))


@endpoint(
    "/milestones/<int:milestone_id>/evidence.pdf",
    need=Need.EVIDENCE,
    summary="Download the acceptance evidence pack (PDF)",
    tag="funding",
    produces={"application/pdf": {"type": "string", "format": "binary"}},
    doc_responses={"409": error_doc("`evidence_pending`: still being made")},
)
def download_evidence(milestone_id: int) -> Any:
    with db.reading() as s:
        pack = service.get_pack(s, require_user(), milestone_id)
    if pack.status != "ready" or pack.pdf is None:
        raise Conflict(
            "The evidence pack is still being made; try again in a moment.", code="evidence_pending"
        )
    return attachment(
        pack.pdf,
        "application/pdf",
        f"evidence-milestone-{milestone_id}.pdf",
        {"ETag": f'"{pack.file_hash}"', "X-Content-SHA256": pack.content_hash or ""},
    )
