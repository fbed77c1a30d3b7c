"""Suggested edits (SPEC v1.1), as Google Docs' suggesting mode and GitHub's
suggested changes: any member proposes a replacement for a range of the text;
owners and editors accept it (applied to the live text as a minimal edit, as
PUT text and restore are) or reject it, and its author may withdraw it by
rejecting it. The range follows the text as comment anchors do (anchors.py);
a suggestion whose words are no longer there cannot be applied: `outdated`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import EDITOR_ROLES, Need
from workspace.auth.models import User
from workspace.db import db, utcnow
from workspace.documents import anchors, crdt, store
from workspace.documents.diff import minimal_edits
from workspace.documents.models import Document, Suggestion
from workspace.documents.service import (
    document_ref,
    require_document,
    require_in_document,
    store_server_edit,
)
from workspace.errors import Conflict, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.spaces.models import Membership

RANGE_MAX = 10000  # characters a suggestion may replace
QUIET_AFTER = timedelta(minutes=10)  # one sitting of suggesting is told once
DECIDED = ("accepted", "rejected")


def require_suggestion(
    session: Session, actor: User, suggestion_id: int, need: Need = Need.READ
) -> tuple[Suggestion, Document]:
    """The suggestion and its document; a non-reader learns nothing (404)."""
    return require_in_document(
        session, actor, Suggestion, suggestion_id, need, "Suggestion not found."
    )


def require_decider(
    session: Session, actor: User, suggestion_id: int, accept: bool
) -> tuple[Suggestion, Document]:
    """Owners and editors accept; they, and the suggestion's author (taking
    it back), reject."""
    if accept:
        return require_suggestion(session, actor, suggestion_id, Need.EDIT)
    suggestion, document = require_suggestion(session, actor, suggestion_id, Need.COMMENT)
    if suggestion.author_id != actor.id:
        require_document(session, actor, document.id, Need.EDIT)
    return suggestion, document


def _selector(s: Suggestion) -> anchors.Selector:
    return anchors.Selector(
        s.anchor_from, s.anchor_to, s.anchor_quote, s.anchor_prefix, s.anchor_suffix
    )


def create_suggestion(
    session: Session,
    actor: User,
    document_id: int,
    anchor: dict[str, int],
    text: str,
    note: str | None,
) -> dict[str, Any]:
    document = require_document(session, actor, document_id, Need.COMMENT)
    current = crdt.text_str(store.load_doc(session, document_id))
    start, end = anchor["from"], anchor["to"]
    if not 0 <= start <= end <= len(current):
        raise ValidationFailed(
            f"The anchor must lie within the text (0 to {len(current)} characters, from <= to).",
            fields={"anchor": [f"0 <= from <= to <= {len(current)}."]},
        )
    if end - start > RANGE_MAX:
        raise ValidationFailed(
            f"A suggestion replaces at most {RANGE_MAX} characters.",
            fields={"anchor": [f"At most {RANGE_MAX} characters."]},
        )
    if current[start:end] == text:
        raise ValidationFailed(
            "The suggestion changes nothing: the text is already so.",
            fields={"text": ["Differs from the text it replaces."]},
        )
    sel = anchors.make_selector(current, start, end)
    suggestion = Suggestion(
        document_id=document.id,
        author_id=actor.id,
        anchor_from=start,
        anchor_to=end,
        anchor_quote=sel.quote,
        anchor_prefix=sel.prefix,
        anchor_suffix=sel.suffix,
        text=text,
        note=(note or "").strip() or None,
        status="open",
        created_at=utcnow(),
    )
    session.add(suggestion)
    session.flush()
    payload = suggestion_payload(suggestion, current, actor)
    record_event(
        session,
        document.workspace_id,
        ev.SUGGESTION_CREATED,
        {
            "document": document_ref(document),
            "suggestion": event_suggestion(payload),
            "notify": _deciders_to_tell(session, document, suggestion, actor),
        },
        actor,
    )
    return payload


def _deciders_to_tell(
    session: Session, document: Document, suggestion: Suggestion, actor: User
) -> list[int]:
    """As Google Docs tells a file's editors: those who can accept it hear of
    it, with the weight of a mention (their `mention` choice applies). One
    sitting of suggesting (typing in Suggesting mode makes one suggestion per
    pause) is told once: a suggestion within QUIET_AFTER of the same
    author's previous one on the document tells nobody anew."""
    earlier = session.scalar(
        select(Suggestion.id)
        .where(
            Suggestion.document_id == document.id,
            Suggestion.author_id == actor.id,
            Suggestion.id != suggestion.id,
            Suggestion.created_at > suggestion.created_at - QUIET_AFTER,
        )
        .limit(1)
    )
    if earlier is not None:
        return []
    deciders = session.scalars(
        select(Membership.user_id)
        .where(Membership.workspace_id == document.workspace_id, Membership.role.in_(EDITOR_ROLES))
        .order_by(Membership.user_id)
    )
    return [uid for uid in deciders if uid != actor.id]


def list_suggestions(
    session: Session,
    actor: User,
    document_id: int,
    after_id: int,
    limit: int,
    statuses: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Oldest first, maybe only those in `statuses`."""
    require_document(session, actor, document_id)
    query = select(Suggestion).where(
        Suggestion.document_id == document_id, Suggestion.id > after_id
    )
    if statuses:
        query = query.where(Suggestion.status.in_(statuses))
    rows = list(session.scalars(query.order_by(Suggestion.id).limit(limit + 1)))
    text = crdt.text_str(store.load_doc(session, document_id)) if rows else ""
    return [suggestion_payload(row, text) for row in rows]


def get_suggestion(session: Session, actor: User, suggestion_id: int) -> dict[str, Any]:
    suggestion, document = require_suggestion(session, actor, suggestion_id)
    return suggestion_payload(suggestion, crdt.text_str(store.load_doc(session, document.id)))


def reject(session: Session, actor: User, suggestion_id: int) -> dict[str, Any]:
    suggestion, document = require_decider(session, actor, suggestion_id, accept=False)
    # The lock an accept holds: a reject and an accept of one suggestion do
    # not both succeed.
    store.lock_document(session, document.id)
    session.refresh(suggestion)
    _not_decided(suggestion)
    _decide(suggestion, actor, "rejected")
    session.flush()
    session.refresh(suggestion, ["decided_by"])
    text = crdt.text_str(store.load_doc(session, document.id))
    payload = suggestion_payload(suggestion, text)
    _record_decision(session, document, payload, suggestion, actor, ev.SUGGESTION_REJECTED)
    return payload


def accept(actor: User, suggestion_id: int) -> dict[str, Any]:
    """Apply the suggestion to the live text as the minimal edit between the
    words it replaces and its text (SERVER_EDIT tells open editors). Returns
    the suggestion. When its words can no longer be found, the suggestion becomes
    `outdated` (committed) and 409 `suggestion_outdated` is raised."""
    outcome = store.with_room(
        document_id_of(actor, suggestion_id), lambda: _accept(actor, suggestion_id)
    )
    if outcome["status"] == "outdated":
        raise Conflict(
            "The text this suggestion changes has changed since it was made; "
            "it can no longer be applied.",
            code="suggestion_outdated",
        )
    return outcome


def document_id_of(actor: User, suggestion_id: int) -> int:
    with db.reading() as s:
        return require_suggestion(s, actor, suggestion_id, Need.EDIT)[0].document_id


def _accept(actor: User, suggestion_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        suggestion, document = require_decider(s, actor, suggestion_id, accept=True)
        store.lock_document(s, document.id)
        s.refresh(suggestion)  # decided meanwhile by someone holding the lock before us
        _not_decided(suggestion)
        doc = store.load_doc(s, document.id)
        current = crdt.text_str(doc)
        place = anchors.locate_exact(current, _selector(suggestion))
        if place is None:
            # No event: nobody decided anything; the edit that moved the text
            # on is the document's own news, and readers see `found: false`.
            suggestion.status = "outdated"
            return suggestion_payload(suggestion, current)
        start, end = place
        edits = [
            (start + a, start + b, new)
            for a, b, new in minimal_edits(current[start:end], suggestion.text)
        ]
        update = crdt.capture(doc, lambda d: crdt.apply_edits(d, current, edits))
        if not crdt.is_empty(update):
            store_server_edit(s, document, actor, update)
        _decide(suggestion, actor, "accepted")
        s.flush()
        s.refresh(suggestion, ["decided_by"])
        text = crdt.text_str(doc)
        payload = suggestion_payload(suggestion, text)
        _record_decision(s, document, payload, suggestion, actor, ev.SUGGESTION_ACCEPTED)
        return payload


def _not_decided(suggestion: Suggestion) -> None:
    if suggestion.status in DECIDED:
        raise Conflict(
            f"This suggestion was already {suggestion.status}.", code="suggestion_decided"
        )


def _decide(suggestion: Suggestion, actor: User, status: str) -> None:
    suggestion.status = status
    suggestion.decided_by_id = actor.id
    suggestion.decided_at = utcnow()


def _record_decision(
    session: Session,
    document: Document,
    payload: dict[str, Any],
    suggestion: Suggestion,
    actor: User,
    event_type: str,
) -> None:
    # Its author hears how it went (with their `mention` choice).
    notify = [suggestion.author_id] if suggestion.author_id not in (None, actor.id) else []
    record_event(
        session,
        document.workspace_id,
        event_type,
        {
            "document": document_ref(document),
            "suggestion": event_suggestion(payload),
            "notify": notify,
        },
        actor,
    )


def suggestion_payload(s: Suggestion, text: str, author: User | None = None) -> dict[str, Any]:
    author = author or s.author
    sel = _selector(s)
    place = anchors.locate_exact(text, sel)
    if place is not None:
        start, end, found = place[0], place[1], True
    else:
        start, end, _near = anchors.resolve(text, sel)
        found = False
    by = s.decided_by
    return {
        "id": s.id,
        "document_id": s.document_id,
        "author": None if author is None else {"id": author.id, "name": author.name},
        # `quote` is what the suggestion replaces, as it was when made.
        "anchor": {"from": start, "to": end, "quote": s.anchor_quote, "found": found},
        "text": s.text,
        "note": s.note,
        "status": s.status,
        "created_at": s.created_at,
        "decided_by": None if by is None else {"id": by.id, "name": by.name},
        "decided_at": s.decided_at,
    }


def event_suggestion(payload: dict[str, Any]) -> dict[str, Any]:
    """What events carry: enough for a webhook or a mail to say what would
    change, and for a page to place it."""
    keys = ("id", "author", "anchor", "text", "note", "status", "decided_by")
    return {key: payload[key] for key in keys}
