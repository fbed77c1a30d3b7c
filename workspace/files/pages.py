"""Pages: the workspace's Files view, a milestone's page, and the files panel
(drop zone with progress, list with thumbnails) that trial, milestone,
document and workspace pages embed with `{{ files_panel(...) }}`."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, render_template, request
from markupsafe import Markup
from sqlalchemy.orm import Session

from workspace.auth.access import Need, can, require_workspace
from workspace.db import db
from workspace.documents.models import Document
from workspace.events.recent import activity_panel
from workspace.files import service
from workspace.files.models import ATTACHABLE
from workspace.files.storage import storage, thumb_key
from workspace.files.upload import human
from workspace.milestones.models import Milestone
from workspace.pages import pages
from workspace.pages.session import login_required
from workspace.trials.models import Trial

PANEL_LIMIT = 100
# The activity panel of the files and milestone pages, as long as the trials pages'.
ACTIVITY_SHOWN = 30
VIEW_LIMIT = 500


def _rows(
    s: Session, workspace_id: int, kind: str | None, target_id: int | None, limit: int
) -> list[dict[str, Any]]:
    user = g.page_user
    filters = {f"{kind}_id": target_id} if kind else {}
    rows = service.list_files(s, user, workspace_id, 0, limit, filters)[:limit]
    items = service.payloads(s, rows)
    owner = can(s, user, workspace_id, Need.MANAGE)
    editor = can(s, user, workspace_id, Need.EDIT)
    labels = _target_labels(s, rows)
    for item, row in zip(items, rows, strict=True):
        item["may_delete"] = owner or (editor and row.uploaded_by_id == user.id)
        item["thumbnail"] = row.thumbnail == "ready"
        item["human_size"] = human(item["size"])
        item["attached_label"] = labels.get(row.id)
    return items


def _target_labels(s: Session, rows: list[Any]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        at = row.attached_to
        if at is None:
            continue
        if at["type"] == "trial":
            t = s.get(Trial, at["id"])
            out[row.id] = {
                "kind": "trial",
                "text": f"#{t.number} {t.title or ''}".strip(),
                "href": f"/trials/{t.id}",
            }
        elif at["type"] == "milestone":
            m = s.get(Milestone, at["id"])
            out[row.id] = {"kind": "milestone", "text": m.title, "href": f"/milestones/{m.id}"}
        else:
            d = s.get(Document, at["id"])
            out[row.id] = {"kind": "document", "text": d.title, "href": f"/documents/{d.id}"}
    return out


def _panel(
    workspace_id: int,
    kind: str | None = None,
    target_id: int | None = None,
    show_target: bool = False,
) -> Markup:
    with db.reading() as s:
        require_workspace(s, g.page_user, workspace_id)
        files = _rows(s, workspace_id, kind, target_id, PANEL_LIMIT)
        can_edit = can(s, g.page_user, workspace_id, Need.EDIT)
    return Markup(
        render_template(
            "files/_panel.html",
            workspace_id=workspace_id,
            kind=kind,
            target_id=target_id,
            files=files,
            can_edit=can_edit,
            show_target=show_target,
        )
    )


@pages.app_template_global("files_panel")
def files_panel(workspace_id: int, kind: str | None = None, target_id: int | None = None) -> Markup:
    return _panel(workspace_id, kind, target_id)


@pages.route("/workspaces/<int:workspace_id>/files")
@login_required
def files_view(workspace_id: int) -> Any:
    with db.reading() as s:
        ws = require_workspace(s, g.page_user, workspace_id)
        files = _rows(s, workspace_id, None, None, VIEW_LIMIT)
        ctx = activity_panel(s, workspace_id, ACTIVITY_SHOWN)
        can_edit = can(s, g.page_user, workspace_id, Need.EDIT)
    return render_template("files/view.html", ws=ws, files=files, can_edit=can_edit, **ctx)


@pages.route("/workspaces/<int:workspace_id>/files/fragment")
@login_required
def files_fragment(workspace_id: int) -> Any:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in ATTACHABLE:
        abort(404)
    try:
        target_id = int(request.args["id"]) if kind else None
    except (KeyError, ValueError):
        abort(404)
    view = request.args.get("view") == "all"
    with db.reading() as s:
        require_workspace(s, g.page_user, workspace_id)
        files = _rows(s, workspace_id, kind, target_id, VIEW_LIMIT if view else PANEL_LIMIT)
    return render_template("files/_list.html", files=files, show_target=view)


@pages.route("/milestones/<int:milestone_id>")
@login_required
def milestone_page(milestone_id: int) -> Any:
    with db.reading() as s:
        m = s.get(Milestone, milestone_id)
        if m is None:
            abort(404)
        ws = require_workspace(s, g.page_user, m.workspace_id)
        ctx = activity_panel(s, ws.id, ACTIVITY_SHOWN)
    return render_template("files/milestone.html", ws=ws, milestone=m, **ctx)


def workspace_panel(ws: Any, user: Any, role: str | None) -> Markup:
    return _panel(ws.id, show_target=True)


@pages.route("/files/<int:file_id>/thumbnail")
@login_required
def file_thumbnail(file_id: int) -> Any:
    with db.reading() as s:
        f = service.get_file(s, g.page_user, file_id)
        if f.thumbnail != "ready":
            abort(404)
        sha = f.sha256
    etag = f'"thumb-{sha}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    body = b"".join(storage().read(thumb_key(sha)))
    return Response(
        body,
        mimetype="image/png",
        headers={
            "ETag": etag,
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )
