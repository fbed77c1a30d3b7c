"""Named versions (a stored copy of state and text), diffs, restore and
sign-off. A restore is a new edit; history is never rewritten."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.db import db, newest_first, utcnow
from workspace.documents import crdt, store
from workspace.documents.diff import side_by_side, unified
from workspace.documents.models import Document, DocumentVersion, VersionApproval
from workspace.documents.service import (
    document_ref,
    require_document,
    set_text,
)
from workspace.errors import Forbidden, NotFound, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event

QUIET_PERIOD = timedelta(minutes=5)  # an automatic version after this long without edits
SIDES = ("enterprise", "university")


def version_ref(version: DocumentVersion) -> dict[str, Any]:
    return {"id": version.id, "label": version.label, "auto": version.auto}


def version_payload(version: DocumentVersion, with_text: bool = True) -> dict[str, Any]:
    payload = {
        "id": version.id,
        "document_id": version.document_id,
        "label": version.label,
        "author": None
        if version.author is None
        else {"id": version.author.id, "name": version.author.name},
        "auto": version.auto,
        "created_at": version.created_at,
        "approvals": [
            {"user_id": a.user_id, "name": a.user.name, "side": a.side, "created_at": a.created_at}
            for a in version.approvals
        ],
    }
    if with_text:
        payload["text"] = version.text
    return payload


def _snapshot(
    session: Session, document: Document, label: str, author: User | None, auto: bool
) -> DocumentVersion:
    doc = store.load_doc(session, document.id)
    # Ids, not the (detached) user objects of the request, go into this session.
    version = DocumentVersion(
        document_id=document.id,
        label=label,
        auto=auto,
        author_id=author.id if author is not None else None,
        state=doc.get_update(),
        text=crdt.text_str(doc),
    )
    session.add(version)
    document.last_version_at = utcnow()
    session.flush()
    record_event(
        session,
        document.workspace_id,
        ev.DOCUMENT_VERSION_CREATED,
        {"document": document_ref(document), "version": version_ref(version)},
        author,
    )
    return version


def create_version(
    session: Session, actor: User, document_id: int, label: str | None
) -> DocumentVersion:
    document = require_document(session, actor, document_id, Need.EDIT)
    if not label:
        count = len(
            session.scalars(
                select(DocumentVersion.id).where(DocumentVersion.document_id == document.id)
            ).all()
        )
        label = f"v{count + 1}"
    return _snapshot(session, document, label.strip(), actor, auto=False)


def list_versions(
    session: Session, actor: User, document_id: int, before_id: int, limit: int
) -> list[DocumentVersion]:
    """Newest first; the cursor is the last id given."""
    require_document(session, actor, document_id)
    stmt = select(DocumentVersion).where(DocumentVersion.document_id == document_id)
    return list(session.scalars(newest_first(stmt, DocumentVersion.id, before_id, limit)))


def get_version(
    session: Session, actor: User, document_id: int, version_id: int
) -> DocumentVersion:
    require_document(session, actor, document_id)
    return _version_of(session, document_id, version_id)


def _version_of(session: Session, document_id: int, version_id: int) -> DocumentVersion:
    version = session.get(DocumentVersion, version_id)
    if version is None or version.document_id != document_id:
        raise NotFound("Version not found.")
    return version


def diff(
    session: Session,
    actor: User,
    document_id: int,
    from_ref: str,
    to_ref: str,
    layout: str = "unified",
) -> dict[str, Any]:
    """`from`/`to` are version ids, or `current` for the text as it is now."""
    require_document(session, actor, document_id)
    texts = {}
    for name, ref in (("from", from_ref), ("to", to_ref)):
        if ref == "current":
            texts[name] = (crdt.text_str(store.load_doc(session, document_id)), "current")
            continue
        try:
            version_id = int(ref)
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Give version ids to compare.", fields={name: ["A version id or `current`."]}
            ) from None
        version = _version_of(session, document_id, version_id)
        texts[name] = (version.text, f"{version.label} (#{version.id})")
    (old, old_label), (new, new_label) = texts["from"], texts["to"]
    answer = {
        "from": from_ref if from_ref == "current" else int(from_ref),
        "to": to_ref if to_ref == "current" else int(to_ref),
        "from_label": old_label,
        "to_label": new_label,
        "unified": unified(old, new, old_label, new_label),
    }
    if layout == "split":
        answer["side_by_side"] = side_by_side(old, new)
    return answer


def restore(actor: User, document_id: int, version_id: int) -> dict[str, Any]:
    """The minimal edit from the current text to the version's, as a new
    update that live editors merge like any other (SERVER_EDIT)."""
    return set_text(actor, document_id, lambda s: _version_of(s, document_id, version_id).text)


def approve(session: Session, actor: User, document_id: int, version_id: int) -> dict[str, Any]:
    """Approve a version for the approver's side; once both sides have
    approved the same version of the problem statement, it is agreed."""
    document = require_document(session, actor, document_id, Need.EDIT)
    version = _version_of(session, document_id, version_id)
    side = actor.side
    if side not in SIDES:
        raise Forbidden(
            "Only enterprise-side or university-side members approve versions.", code="no_side"
        )
    if any(a.user_id == actor.id for a in version.approvals):
        return _approval_answer(document, version)
    sides_before = {a.side for a in version.approvals}
    version.approvals.append(VersionApproval(user_id=actor.id, side=side))
    session.flush()
    record_event(
        session,
        document.workspace_id,
        ev.DOCUMENT_APPROVED,
        {
            "document": document_ref(document),
            "version": version_ref(version),
            "side": side,
        },
        actor,
    )
    sides_after = sides_before | {side}
    if (
        document.kind == "problem_statement"
        and set(SIDES) <= sides_after
        and not set(SIDES) <= sides_before
    ):
        document.agreed_version_id = version.id
        record_event(
            session,
            document.workspace_id,
            ev.STATEMENT_AGREED,
            {
                "document": document_ref(document),
                "version": version_ref(version),
                "approvers": [
                    {"id": a.user_id, "name": a.user.name, "side": a.side}
                    for a in version.approvals
                ],
            },
            actor,
        )
    return _approval_answer(document, version)


def _approval_answer(document: Document, version: DocumentVersion) -> dict[str, Any]:
    return {
        "version": version_payload(version, with_text=False),
        "agreed": document.agreed_version_id == version.id,
        "agreed_version_id": document.agreed_version_id,
    }


def auto_version_documents(now: datetime | None = None) -> int:
    """Periodic job: a version of every document whose editing went quiet
    since its last version (label "Auto …", no author)."""
    now = now or utcnow()
    made = 0
    with db.transaction() as s:
        rows = s.scalars(
            select(Document)
            .where(
                Document.updated_at <= now - QUIET_PERIOD,
                (Document.last_version_at.is_(None))
                | (Document.updated_at > Document.last_version_at),
            )
            .with_for_update()
        ).all()
        for document in rows:
            _snapshot(s, document, f"Auto {now:%Y-%m-%d %H:%M} UTC", None, auto=True)
            made += 1
    return made
