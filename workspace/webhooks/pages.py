"""The webhook management page and its link on the workspace page."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from workspace.auth.access import Need, manages, require_workspace
from workspace.db import db
from workspace.events.types import ALL_TYPES
from workspace.pages import pages
from workspace.pages.session import login_required
from workspace.webhooks.models import FORMATS


@pages.route("/workspaces/<int:workspace_id>/webhooks")
@login_required
def webhooks_page(workspace_id: int) -> Any:
    with db.reading() as s:
        ws = require_workspace(s, g.page_user, workspace_id, Need.MANAGE)
    strings = {
        "secret_once": _("Copy this secret now; it will not be shown again:"),
        "no_webhooks": _("No webhooks yet."),
        "no_deliveries": _("No deliveries yet."),
        "ping": _("Ping"),
        "delete": _("Delete"),
        "deliveries": _("Deliveries"),
        "redeliver": _("Redeliver"),
        "rotate": _("Rotate secret"),
        "confirm_delete": _("Delete this webhook? Its delivery log goes with it."),
        "active": _("active"),
        "disabled": _("disabled"),
        "pending": _("pending"),
        "succeeded": _("succeeded"),
        "failed": _("failed"),
        "attempts": _("attempts"),
        "ping_sent": _("Test delivery queued."),
        "redelivered": _("Queued again."),
        "format": _("Format"),
        "events": _("Events"),
    }
    return render_template(
        "webhooks/manage.html",
        ws=ws,
        formats=FORMATS,
        event_types=sorted(ALL_TYPES),
        strings=strings,
    )


def workspace_panel(ws: Any, user: Any, role: str | None) -> Markup | None:
    """The workspace page's webhooks section, for those who manage it."""
    if not manages(user, role):
        return None
    link = url_for("pages.webhooks_page", workspace_id=ws.id)
    return Markup(
        '<section class="card" data-testid="webhooks-panel"><h2>{title}</h2>'
        '<p class="muted">{text} <a href="{link}" data-testid="manage-webhooks">{action}</a></p>'
        "</section>"
    ).format(
        title=escape(_("Webhooks and chat bots")),
        text=escape(_("Tell other systems and group chats what happens here.")),
        link=link,
        action=escape(_("Manage webhooks")),
    )
