"""Comments, optionally anchored to a range that follows the text as it is
edited (anchors.py), and `@name` mentions of members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.documents import anchors, crdt, store
from workspace.documents.models import Comment
from workspace.documents.service import document_ref, require_document
from workspace.errors import ValidationFailed
from workspace.events import record_event
from workspace.events import types as ev
from workspace.workspaces.models import Membership

QUOTE_MAX = 200  # characters of the anchored text echoed back


def find_mentions(body: str, people: list[tuple[int, list[str]]]) -> list[int]:
    """Ids of the people `@`-mentioned in `body`. Each person is matched by any
    of their handles (name, email local part), longest first, ignoring case; an
    ASCII handle must not run on into more ASCII letters or digits
    (`@li` is not `@lisa`), while a Chinese name may be followed directly by
    text, as Chinese is written without spaces."""
    lowered = body.casefold()
    handles = sorted(((h.casefold(), pid) for pid, hs in people for h in hs if h.strip()),
                     key=lambda item: -len(item[0]))
    found: list[int] = []
    start = lowered.find("@")
    while start != -1:
        rest = lowered[start + 1:]
        for handle, person in handles:
            if rest.startswith(handle) and _ends_cleanly(handle, rest[len(handle):]):
                if person not in found:
                    found.append(person)
                break
        start = lowered.find("@", start + 1)
    return found


def _ends_cleanly(handle: str, after: str) -> bool:
    if not after:
        return True
    last, nxt = handle[-1], after[0]
    return not (last.isascii() and last.isalnum() and nxt.isascii()
                and (nxt.isalnum() or nxt in "_-"))


def _members(session: Session, workspace_id: int) -> list[tuple[int, list[str]]]:
    rows = session.scalars(select(Membership).where(Membership.workspace_id == workspace_id))
    return [(m.user_id, [m.user.name, m.user.email.split("@", 1)[0]]) for m in rows]


def create_comment(session: Session, actor: User, document_id: int, body: str,
                   anchor: dict[str, int] | None) -> dict[str, Any]:
    document = require_document(session, actor, document_id, Need.COMMENT)
    doc = store.load_doc(session, document_id)
    text = crdt.text_str(doc)
    comment = Comment(document_id=document.id, author_id=actor.id, body=body.strip(),
                      mentions=find_mentions(body, _members(session, document.workspace_id)))
    if anchor is not None:
        start, end = anchor["from"], anchor["to"]
        if not 0 <= start <= end <= len(text):
            raise ValidationFailed(
                f"The anchor must lie within the text (0 to {len(text)} characters, from <= to).",
                fields={"anchor": [f"0 <= from <= to <= {len(text)}."]})
        sel = anchors.make_selector(text, start, end)
        comment.anchor_from, comment.anchor_to = start, end
        comment.anchor_quote, comment.anchor_prefix, comment.anchor_suffix = \
            sel.quote, sel.prefix, sel.suffix
    session.add(comment)
    session.flush()
    payload = comment_payload(comment, text, actor)
    record_event(session, document.workspace_id, ev.COMMENT_CREATED, {
        "document": document_ref(document),
        "comment": {"id": comment.id, "body": comment.body, "anchor": payload["anchor"]},
        "mentions": comment.mentions,
    }, actor)
    return payload


def list_comments(session: Session, actor: User, document_id: int, after_id: int,
                  limit: int) -> list[dict[str, Any]]:
    require_document(session, actor, document_id)
    rows = list(session.scalars(
        select(Comment).where(Comment.document_id == document_id, Comment.id > after_id)
        .order_by(Comment.id).limit(limit + 1)))
    text = crdt.text_str(store.load_doc(session, document_id))
    return [comment_payload(c, text) for c in rows]


def comment_payload(comment: Comment, text: str,
                    author: User | None = None) -> dict[str, Any]:
    author = author or comment.author
    return {
        "id": comment.id, "document_id": comment.document_id,
        "author": None if author is None else {"id": author.id, "name": author.name},
        "body": comment.body, "anchor": _anchor_now(comment, text),
        "created_at": comment.created_at, "mentions": comment.mentions,
    }


def _anchor_now(comment: Comment, text: str) -> dict[str, Any] | None:
    if comment.anchor_from is None or comment.anchor_to is None:
        return None
    sel = anchors.Selector(comment.anchor_from, comment.anchor_to, comment.anchor_quote or "",
                           comment.anchor_prefix or "", comment.anchor_suffix or "")
    start, end, found = anchors.resolve(text, sel)
    return {"from": start, "to": end, "quote": text[start:end][:QUOTE_MAX], "found": found}
