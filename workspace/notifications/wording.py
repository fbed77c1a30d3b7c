"""What an event says to a person, in their language, with a link back.

Shared by mails, digests and chat-bot messages so one event reads the same
everywhere (and the same as the activity list on the workspace page).
"""

from __future__ import annotations

from typing import Any

from workspace.i18n import gettext as _
from workspace.pages.activity import describe
from workspace.safe_text import one_line, printable


def sentence(envelope: dict[str, Any]) -> str:
    if envelope.get("type") == "webhook.ping":
        return _("JointLab test message: this webhook works.")
    # One line, whatever the titles inside it held.
    return one_line(describe(envelope))


def link_for(envelope: dict[str, Any], public_url: str) -> str:
    """Where the reader should land: the workspace page, at the thing if it
    has an anchor there."""
    base = f"{public_url}/workspaces/{envelope['workspace_id']}"
    data = envelope.get("data") or {}
    suggestion, document = data.get("suggestion"), data.get("document")
    if isinstance(suggestion, dict) and isinstance(document, dict) \
            and suggestion.get("id") is not None and document.get("id") is not None:
        return f"{public_url}/documents/{document['id']}#suggestion-{suggestion['id']}"
    comment = data.get("comment")
    if isinstance(comment, dict) and isinstance(document, dict) \
            and comment.get("id") is not None and document.get("id") is not None:
        # A comment is read where it was written: its thread on the document page.
        thread = data.get("parent_id") or comment.get("parent_id") or comment["id"]
        return f"{public_url}/documents/{document['id']}#comment-{thread}"
    if str(envelope.get("type", "")).endswith(".deleted"):
        return base  # nothing left to point at
    for key in ("milestone", "trial", "document"):
        inner = data.get(key)
        if isinstance(inner, dict) and inner.get("id") is not None:
            return f"{base}#{key}-{inner['id']}"
    return base


def thread_key(envelope: dict[str, Any]) -> str | None:
    """Mails about one milestone (or trial, document) share a thread."""
    data = envelope.get("data") or {}
    for key in ("milestone", "trial", "document"):
        inner = data.get(key)
        if isinstance(inner, dict) and inner.get("id") is not None:
            return f"{key}-{inner['id']}.ws-{envelope['workspace_id']}"
    return None


def thread_subject(envelope: dict[str, Any]) -> str | None:
    data = envelope.get("data") or {}
    for key in ("milestone", "trial", "document"):
        inner = data.get(key)
        if isinstance(inner, dict):
            title = inner.get("title") or (f"#{inner['number']}" if inner.get("number") else None)
            if title:
                return str(title)
    return None


def quoted_text(envelope: dict[str, Any]) -> str | None:
    """What a person wrote, for the mail to carry (a comment's body); None
    when the event carries no one's words."""
    data = envelope.get("data") or {}
    suggestion = data.get("suggestion")
    if isinstance(suggestion, dict):
        return _suggested_change(suggestion)
    comment = data.get("comment")
    body = comment.get("body") if isinstance(comment, dict) else None
    if not isinstance(body, str):
        return None
    return printable(body).strip() or None


def _suggested_change(suggestion: dict[str, Any]) -> str | None:
    """A suggested edit as a diff reads, in any language: the words it takes
    out after "-", the words it puts in after "+", then its note."""
    anchor = suggestion.get("anchor") if isinstance(suggestion.get("anchor"), dict) else {}
    lines: list[str] = []
    for sign, words in (("-", anchor.get("quote")), ("+", suggestion.get("text"))):
        if isinstance(words, str) and words:
            lines += [f"{sign} {line}" for line in printable(words).split("\n")]
    note = suggestion.get("note")
    if isinstance(note, str) and printable(note).strip():
        lines += ["", printable(note).strip()]
    return "\n".join(lines) or None
