"""The document page: live editor, preview, presence, versions, comments."""

from __future__ import annotations

import zlib
from typing import Any

from flask import g, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from workspace.auth.access import Need, can
from workspace.db import db
from workspace.documents import render, service
from workspace.documents.models import DocumentVersion
from workspace.pages import pages
from workspace.pages.session import login_required
from workspace.security.headers import csp_nonce
from workspace.spaces.models import Membership, Workspace

# Distinct, readable on white; a person keeps their colour across pages.
COLOURS = ("#d1495b", "#00798c", "#edae49", "#3d5a80", "#8338ec", "#2a9d8f", "#e76f51", "#6a994e")
# y-codemirror.next draws a remote cursor with a style attribute of exactly this
# text (lib0's setAttribute, which the CSP refuses unless allowed by hash; the
# documents capability declares them, documents/capability.py).
CURSOR_STYLES = tuple(f"background-color: {c}; border-color: {c}" for c in COLOURS)


def colour_for(user_id: int) -> str:
    return COLOURS[zlib.crc32(str(user_id).encode()) % len(COLOURS)]


def ui_strings() -> dict[str, str]:
    return {
        "saving": _("Saving…"),
        "saved": _("All changes saved"),
        "offline": _("Offline"),
        "error": _("Not saved"),
        "connecting": _("Connecting…"),
        "you": _("you"),
        "current": _("Current text"),
        "restore": _("Restore"),
        "approve": _("Approve"),
        "approved_by": _("Approved by"),
        "compare": _("Compare with current"),
        "confirm_restore": _("Restore this version? It becomes a new edit; nothing is lost."),
        "auto": _("automatic"),
        "no_versions": _("No versions yet."),
        "no_comments": _("No comments yet."),
        "no_diff": _("No differences."),
        "enterprise": _("enterprise"),
        "university": _("university"),
        "agreed": _("Agreed"),
        "failed": _("That did not work:"),
        # The diff (document.js); {old} and {new} are line numbers.
        "hunk_at": _("Old line {old} · new line {new}"),
        "old_side": _("Old"),
        "new_side": _("New"),
        "signed_out": _("Signed out"),
        # The header word of the table the toolbar inserts: "Column 1", "列 1".
        "table_column": _("Column"),
        "too_large": _(
            "That change was not saved: it would make the document larger than "
            "1 MB, the limit. It has been taken out, and the editor shows the "
            "last saved text, with everything saved before it. Split long "
            "material into another document, or attach it as a file."
        ),
        "refused": _(
            "The server refused that change, so it was taken out; the editor "
            "shows the last saved text."
        ),
        # Comment threads (threads.js); {n}, {name}, {when}, {names} are filled in there.
        "open_count": _("{n} open"),
        "no_open_threads": _("No open comments."),
        "resolve": _("Resolve"),
        "reopen": _("Reopen"),
        "reply": _("Reply"),
        "reply_placeholder": _("Reply; type @ to mention someone"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "edited": _("(edited)"),
        "resolved_by": _("Resolved by {name}, {when}"),
        "confirm_delete": _("Delete this comment?"),
        "confirm_delete_thread": _("Delete this comment and every reply to it?"),
        "show_in_text": _("Show in the text"),
        "anchor_lost": _("(the commented text was changed or removed)"),
        # Suggested edits (suggestions.js).
        "no_suggestions": _("No open suggestions."),
        "accept": _("Accept"),
        "suggestion_count": _("{n} pending"),
        "reject": _("Reject"),
        "suggestion_outdated": _("The text it changes has changed: it can no longer be accepted."),
        "mention_unmatched": _(
            "No member matches {names}: nobody will be notified for it. "
            "Type @ and pick a name from the list."
        ),
    }


def mention_candidates(session: Any, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's members, offered when someone types `@` (the page
    matches any part of the name or the email)."""
    rows = session.scalars(select(Membership).where(Membership.workspace_id == workspace_id))
    people = [
        {"id": m.user_id, "name": m.user.name, "email": m.user.email} for m in rows if m.user.active
    ]
    return sorted(people, key=lambda p: p["name"].casefold())


@pages.route("/documents/<int:document_id>")
@login_required
def document_page(document_id: int) -> Any:
    user = g.page_user
    with db.reading() as s:
        document = service.require_document(s, user, document_id)
        ws = document.workspace_id

        workspace = s.get(Workspace, ws)
        text = service.current_text(s, document_id)
        payload = service.document_payload(s, document, text)
        can_edit = can(s, user, ws, Need.EDIT)
        can_comment = can(s, user, ws, Need.COMMENT)
        # An owner (or an admin) may delete anyone's comment (SPEC v1.1).
        can_moderate = can(s, user, ws, Need.MANAGE)
        members = mention_candidates(s, ws)
        agreed = (
            s.get(DocumentVersion, document.agreed_version_id)
            if document.agreed_version_id
            else None
        )
        agreed_info = (
            None
            if agreed is None
            else {"id": agreed.id, "label": agreed.label, "text": agreed.text}
        )
    config = {
        "documentId": document_id,
        "workspaceId": ws,
        "kind": document.kind,
        "canEdit": can_edit,
        "canComment": can_comment,
        "canModerate": can_moderate,
        "members": members,
        "canApprove": can_edit and user.side in ("enterprise", "university"),
        "user": {"id": user.id, "name": user.name, "color": colour_for(user.id)},
        "agreed": agreed_info,
        "strings": ui_strings(),
        # CodeMirror's styles go in a <style> element: allowed by this nonce only.
        "cspNonce": csp_nonce(),
    }
    return render_template(
        "documents/document.html",
        document=payload,
        workspace=workspace,
        config=config,
        preview=Markup(render.render_markdown(text)),
        agreed=agreed_info,
        can_edit=can_edit,
        can_comment=can_comment,
    )
