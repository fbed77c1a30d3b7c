"""What happens to a comment after it is written (SPEC v1.1): its author
edits it, its author or an owner deletes it (a thread goes with its replies),
and anyone who may comment resolves or reopens a thread."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, manages, membership_role
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.documents import crdt, store
from workspace.documents.comments import (
    comment_payload,
    event_comment,
    mentions_in,
    require_comment,
)
from workspace.documents.models import Comment, Document
from workspace.documents.service import document_ref
from workspace.errors import Forbidden, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event


def _text(session: Session, document_id: int) -> str:
    return crdt.text_str(store.load_doc(session, document_id))


def require_author(session: Session, actor: User, comment_id: int) -> tuple[Comment, Document]:
    """Only the author edits (as in Google Docs: nobody puts words in
    someone else's mouth); a reader who is not the author gets 403."""
    comment, document = require_comment(session, actor, comment_id, Need.COMMENT)
    if comment.author_id != actor.id:
        raise Forbidden("Only the author of a comment can edit it.")
    return comment, document


def comment_authors(session: Session, actor: User, kwargs: dict[str, Any]) -> None:
    """The route guard of a comment edit (workspace/auth/guards.py): a bad
    body is judged only for its author; others hear 404 or 403 first."""
    require_author(session, actor, kwargs["comment_id"])


def edit_comment(
    session: Session, actor: User, comment_id: int, body: str, mentions: list[int] | None = None
) -> dict[str, Any]:
    """People newly mentioned are told; those mentioned before are not told
    again."""
    comment, document = require_author(session, actor, comment_id)
    before = [int(x) for x in comment.mentions or ()]
    now = mentions_in(session, document.workspace_id, body, mentions or ())
    if body.strip() == comment.body and set(now) <= set(before):
        return comment_payload(comment, _text(session, document.id))  # nothing changed
    comment.body = body.strip()
    # Someone mentioned once stays mentioned: deleting `@name` from the text
    # does not take back the mail they already got.
    comment.mentions = before + [uid for uid in now if uid not in before]
    comment.edited_at = utcnow()
    session.flush()
    payload = comment_payload(comment, _text(session, document.id))
    newly = [uid for uid in now if uid not in before and uid != actor.id]
    record_event(
        session,
        document.workspace_id,
        ev.COMMENT_EDITED,
        {
            "document": document_ref(document),
            "comment": event_comment(payload),
            "parent_id": comment.parent_id,
            "mentions": newly,
            "notify": newly,
        },
        actor,
    )
    return payload


def delete_comment(session: Session, actor: User, comment_id: int) -> None:
    """Its author or an owner of the workspace (or an admin) deletes it; a
    thread's first comment takes the replies with it."""
    comment, document = require_comment(session, actor, comment_id, Need.COMMENT)
    if comment.author_id != actor.id and not _moderates(session, actor, document):
        raise Forbidden("Only the author of a comment or an owner of the workspace can delete it.")
    payload = comment_payload(comment, _text(session, document.id))
    replies: list[int] = []
    if comment.parent_id is None:
        replies = list(
            session.scalars(
                select(Comment.id).where(Comment.parent_id == comment.id).order_by(Comment.id)
            )
        )
        # Explicit: SQLite enforces no foreign-key cascade unless asked to.
        session.execute(delete(Comment).where(Comment.parent_id == comment.id))
    session.delete(comment)
    session.flush()
    record_event(
        session,
        document.workspace_id,
        ev.COMMENT_DELETED,
        {
            "document": document_ref(document),
            "comment": event_comment(payload),
            "parent_id": comment.parent_id,
            "replies": replies,
        },
        actor,
    )


def _moderates(session: Session, actor: User, document: Document) -> bool:
    return manages(actor, membership_role(session, actor, document.workspace_id))


def set_resolved(session: Session, actor: User, comment_id: int, resolved: bool) -> dict[str, Any]:
    """Resolve or reopen a thread. Asking for the state it is already in
    changes nothing and records nothing (a second click in another tab is
    not a second decision)."""
    comment, document = require_comment(session, actor, comment_id, Need.COMMENT)
    if comment.parent_id is not None:
        raise ValidationFailed(
            "Only a thread is resolved or reopened: use its first comment.",
            fields={"comment": [f"This is a reply; the thread is {comment.parent_id}."]},
        )
    if bool(comment.resolved) != resolved:
        comment.resolved = resolved
        comment.resolved_by_id = actor.id if resolved else None
        comment.resolved_at = utcnow() if resolved else None
        session.flush()
        session.refresh(comment, ["resolved_by"])
        payload = comment_payload(comment, _text(session, document.id))
        record_event(
            session,
            document.workspace_id,
            ev.COMMENT_RESOLVED if resolved else ev.COMMENT_REOPENED,
            {
                "document": document_ref(document),
                "comment": event_comment(payload),
            },
            actor,
        )
        return payload
    return comment_payload(comment, _text(session, document.id))
