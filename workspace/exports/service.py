"""Export tasks: created by the user, run by a job, read back by the user.

The job is queued once the task has committed; one lost on the way (the
queue down, a restart) is queued again by the sweep (build.sweep, declared in
capability.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.dashboard.labels import labels
from workspace.errors import NotFound, ValidationFailed
from workspace.events import after_commit
from workspace.exports.models import ExportTask
from workspace.i18n import gettext as _
from workspace.organizations.models import Organization

FILTER_KEYS = ("organization_id", "status", "overdue", "q", "sort", "order")
RUN = "workspace.exports.build.run_export"


def create_task(session: Session, actor: User, data: dict[str, Any]) -> ExportTask:
    """Everything the job will read is checked here, before the 202: a task
    that could only fail is refused instead of queued."""
    params = {k: data[k] for k in FILTER_KEYS if data.get(k) is not None}
    org_id = params.get("organization_id")
    if org_id is not None and session.get(Organization, org_id) is None:
        raise ValidationFailed(
            "Unknown organization.", fields={"organization_id": ["No such organization."]}
        )
    task = ExportTask(
        id=f"export-{uuid.uuid4().hex}",
        user_id=actor.id,
        format=data["format"],
        params=params,
        status="queued",
    )
    session.add(task)
    session.flush()
    after_commit.enqueue(session, RUN, task.id, job_id=task.id)
    return task


def get_task(session: Session, actor: User, task_id: str) -> ExportTask:
    task = session.get(ExportTask, task_id)
    if task is None or task.user_id != actor.id:
        raise NotFound("Export not found.")
    return task


def recent_tasks(session: Session, actor: User, limit: int = 5) -> list[dict[str, Any]]:
    """The user's latest exports, for the page: one that failed while the page
    was closed is still seen, with its reason."""
    rows = session.scalars(
        select(ExportTask)
        .where(ExportTask.user_id == actor.id)
        .order_by(ExportTask.created_at.desc())
        .limit(limit)
    )
    return [task_payload(t) for t in rows]


def task_payload(task: ExportTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "format": task.format,
        "status": task.status,
        "done": task.done,
        "total": task.total,
        "filename": task.filename,
        "error": task.error,
        "params": task.params,
        "created_at": task.created_at,
        "finished_at": task.finished_at,
        "download_url": f"/api/v1/exports/{task.id}/download" if task.status == "done" else None,
    }


def value_words() -> dict[str, str]:
    """The words for the values in the rows (statuses, outcomes, yes/no), in
    the current language: a sheet is read by people, like the dashboard."""
    return {**labels(), "yes": _("yes"), "no": _("no"), "_sheet": _("Portfolio")}


def headers() -> list[str]:
    return [
        _("Workspace id"),
        _("Workspace"),
        _("Enterprise"),
        _("University"),
        _("Status"),
        _("Statement agreed"),
        _("Latest trial"),
        _("Latest trial status"),
        _("Latest trial outcome"),
        _("Next milestone"),
        _("Next due date"),
        _("Reached count"),
        _("Open count"),
        _("Overdue count"),
        _("Missed count"),
        _("Funds planned"),
        _("Funds released"),
    ]
