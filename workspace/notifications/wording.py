"""What a mail adds to an event's sentence and link
(workspace/events/presentation.py): the thread it belongs to and the words a
person wrote."""

from __future__ import annotations

from typing import Any

from workspace.events.presentation import ANCHORED
from workspace.safe_text import printable


def thread_key(envelope: dict[str, Any]) -> str | None:
    """Mails about one milestone (or trial, document) share a thread."""
    data = envelope.get("data") or {}
    for key in ANCHORED:
        inner = data.get(key)
        if isinstance(inner, dict) and inner.get("id") is not None:
            return f"{key}-{inner['id']}.ws-{envelope['workspace_id']}"
    return None


def thread_subject(envelope: dict[str, Any]) -> str | None:
    data = envelope.get("data") or {}
    for key in ANCHORED:
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
