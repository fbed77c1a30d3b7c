"""Comments, optionally anchored to a range that follows the text as it is
edited (anchors.py), and `@name` mentions of members. A comment is a thread
when others reply to it (SPEC v1.1; edits, deletes, resolve: threads.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.documents import anchors, crdt, store
from workspace.documents.models import Comment, Document
from workspace.documents.service import document_ref, require_document, require_in_document
from workspace.errors import ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.spaces.models import Membership

QUOTE_MAX = 200  # characters of the anchored text echoed back


def find_mentions(body: str, people: list[tuple[int, list[str]]]) -> list[int]:
    """Ids of the people `@`-mentioned in `body`. Each person is matched by any
    of their handles (name, email local part), longest first, ignoring case; an
    ASCII handle must not run on into more ASCII letters or digits
    (`@li` is not `@lisa`), while a Chinese name may be followed directly by
    text, as Chinese is written without spaces."""
    lowered = body.casefold()
    handles = sorted(
        ((h.casefold(), pid) for pid, hs in people for h in hs if h.strip()),
        key=lambda item: -len(item[0]),
    )
    found: list[int] = []
    start = lowered.find("@")
    while start != -1:
        rest = lowered[start + 1 :]
        for handle, person in handles:
            if rest.startswith(handle) and _ends_cleanly(handle, rest[len(handle) :]):
                if person not in found:
                    found.append(person)
                break
        start = lowered.find("@", start + 1)
    return found


def _ends_cleanly(handle: str, after: str) -> bool:
    if not after:
        return True
    last, nxt = handle[-1], after[0]
    return not (
        last.isascii() and last.isalnum() and nxt.isascii() and (nxt.isalnum() or nxt in "_-")
    )


def _members(session: Session, workspace_id: int) -> list[tuple[int, list[str]]]:
    rows = session.scalars(select(Membership).where(Membership.workspace_id == workspace_id))
    return [(m.user_id, [m.user.name, m.user.email.split("@", 1)[0]]) for m in rows]


def mentions_in(
    session: Session, workspace_id: int, body: str, explicit: Iterable[int] = ()
) -> list[int]:
    """Those named by `@name` in the body, then the explicit ids (the page's
    picker sends them, so a picked person is notified whatever the text
    says); each explicit id must be a member of the workspace."""
    people = _members(session, workspace_id)
    member_ids = {pid for pid, _handles in people}
    explicit = list(explicit)
    strangers = [uid for uid in explicit if uid not in member_ids]
    if strangers:
        raise ValidationFailed(
            "Only members of the workspace can be mentioned.",
            fields={"mentions": [f"Not a member of this workspace: {uid}." for uid in strangers]},
        )
    found = find_mentions(body, people)
    return found + [uid for uid in dict.fromkeys(explicit) if uid not in found]


def require_comment(
    session: Session, actor: User, comment_id: int, need: Need = Need.READ
) -> tuple[Comment, Document]:
    """The comment and its document; a non-reader learns nothing (404)."""
    return require_in_document(session, actor, Comment, comment_id, need, "Comment not found.")


def create_comment(
    session: Session,
    actor: User,
    document_id: int,
    body: str,
    anchor: dict[str, int] | None,
    parent_id: int | None = None,
    mentions: Iterable[int] = (),
) -> dict[str, Any]:
    document = require_document(session, actor, document_id, Need.COMMENT)
    doc = store.load_doc(session, document_id)
    text = crdt.text_str(doc)
    parent = _parent(session, document, parent_id)
    comment = Comment(
        document_id=document.id,
        author_id=actor.id,
        body=body.strip(),
        parent_id=parent.id if parent else None,
        mentions=mentions_in(session, document.workspace_id, body, mentions),
    )
    if parent is not None:
        # Replies take their thread's anchor (SPEC): a reply is about the same text.
        anchor = None
        comment.anchor_from, comment.anchor_to = parent.anchor_from, parent.anchor_to
        comment.anchor_quote, comment.anchor_prefix, comment.anchor_suffix = (
            parent.anchor_quote,
            parent.anchor_prefix,
            parent.anchor_suffix,
        )
    if anchor is not None:
        start, end = anchor["from"], anchor["to"]
        if not 0 <= start <= end <= len(text):
            raise ValidationFailed(
                f"The anchor must lie within the text (0 to {len(text)} characters, from <= to).",
                fields={"anchor": [f"0 <= from <= to <= {len(text)}."]},
            )
        sel = anchors.make_selector(text, start, end)
        comment.anchor_from, comment.anchor_to = start, end
        comment.anchor_quote, comment.anchor_prefix, comment.anchor_suffix = (
            sel.quote,
            sel.prefix,
            sel.suffix,
        )
    session.add(comment)
    reopened = parent is not None and bool(parent.resolved)
    if reopened:
        # As in Google Docs, answering a resolved thread opens it again: the
        # discussion is evidently not over.
        parent.resolved, parent.resolved_by_id, parent.resolved_at = False, None, None
    session.flush()
    payload = comment_payload(comment, text, actor)
    if reopened:
        session.refresh(parent, ["resolved_by"])
        record_event(
            session,
            document.workspace_id,
            ev.COMMENT_REOPENED,
            {
                "document": document_ref(document),
                "comment": event_comment(comment_payload(parent, text)),
            },
            actor,
        )
    # A reply tells the thread's earlier authors, as Google Docs does, with
    # the weight of a mention (their `mention` choice applies).
    notify = list(comment.mentions)
    if parent is not None:
        notify += [uid for uid in _thread_authors(session, parent) if uid not in notify]
    record_event(
        session,
        document.workspace_id,
        ev.COMMENT_CREATED,
        {
            "document": document_ref(document),
            "comment": event_comment(payload),
            "parent_id": comment.parent_id,
            "mentions": comment.mentions,
            "notify": [uid for uid in notify if uid != actor.id],
        },
        actor,
    )
    return payload


def _parent(session: Session, document: Document, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = session.get(Comment, parent_id)
    if parent is None or parent.document_id != document.id:
        raise ValidationFailed(
            "There is no such comment on this document to reply to.",
            fields={"parent_id": ["Not a comment of this document."]},
        )
    if parent.parent_id is not None:
        raise ValidationFailed(
            "Replies are one level deep: reply to the thread's first comment.",
            fields={"parent_id": [f"Reply to {parent.parent_id} instead."]},
        )
    return parent


def _thread_authors(session: Session, top: Comment) -> list[int]:
    ids = [top.author_id] + list(
        session.scalars(
            select(Comment.author_id).where(Comment.parent_id == top.id).order_by(Comment.id)
        )
    )
    return [uid for uid in dict.fromkeys(ids) if uid is not None]


def list_comments(
    session: Session,
    actor: User,
    document_id: int,
    after_id: int,
    limit: int,
    resolved: bool | None = None,
) -> list[dict[str, Any]]:
    """Oldest first; a reply always comes after its thread's first comment.
    `resolved` keeps the threads whose first comment is (not) resolved."""
    require_document(session, actor, document_id)
    query = select(Comment).where(Comment.document_id == document_id, Comment.id > after_id)
    if resolved is not None:
        tops = select(Comment.id).where(
            Comment.document_id == document_id,
            Comment.parent_id.is_(None),
            Comment.resolved.is_(resolved),
        )
        query = query.where(or_(Comment.id.in_(tops), Comment.parent_id.in_(tops)))
    rows = list(session.scalars(query.order_by(Comment.id).limit(limit + 1)))
    text = crdt.text_str(store.load_doc(session, document_id))
    return [comment_payload(c, text) for c in rows]


def comment_payload(comment: Comment, text: str, author: User | None = None) -> dict[str, Any]:
    author = author or comment.author
    by = comment.resolved_by
    return {
        "id": comment.id,
        "document_id": comment.document_id,
        "author": None if author is None else {"id": author.id, "name": author.name},
        "body": comment.body,
        "anchor": _anchor_now(comment, text),
        "created_at": comment.created_at,
        "mentions": comment.mentions,
        "parent_id": comment.parent_id,
        "resolved": bool(comment.resolved) if comment.parent_id is None else False,
        "resolved_by": None
        if by is None or not comment.resolved
        else {"id": by.id, "name": by.name},
        "resolved_at": comment.resolved_at if comment.resolved else None,
        "edited_at": comment.edited_at,
    }


def event_comment(payload: dict[str, Any]) -> dict[str, Any]:
    """What events carry of a comment: enough for a webhook or a mail to say
    what was written and where, and for a page to place it."""
    out = {
        key: payload[key] for key in ("id", "body", "anchor", "parent_id", "mentions", "resolved")
    }
    out["author"] = payload["author"]
    return out


def _anchor_now(comment: Comment, text: str) -> dict[str, Any] | None:
    if comment.anchor_from is None or comment.anchor_to is None:
        return None
    sel = anchors.Selector(
        comment.anchor_from,
        comment.anchor_to,
        comment.anchor_quote or "",
        comment.anchor_prefix or "",
        comment.anchor_suffix or "",
    )
    start, end, found = anchors.resolve(text, sel)
    return {"from": start, "to": end, "quote": text[start:end][:QUOTE_MAX], "found": found}
