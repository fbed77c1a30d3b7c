"""The export job: claims its task, builds the file, reports progress.

Progress is committed every PROGRESS_EVERY rows so the page's poll sees it
move; a task already done or failed is left alone, so a rerun does no harm.

Every task ends `done` or `failed`. A failure a retry cannot fix fails the
task at once (with its error, which the page shows); a transient one puts it
back in the queue, for at most MAX_ATTEMPTS claims. The sweep re-queues a
task whose job was lost (Redis down when it was queued, a worker killed
mid-way): a queued task nobody took, a running one that stopped reporting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jobs import failures
from jobs.queue import jobs
from workspace.auth.models import User
from workspace.dashboard.query import Filters
from workspace.dashboard.rows import dashboard_rows
from workspace.db import db, utcnow
from workspace.exports import files
from workspace.exports.models import ExportTask
from workspace.exports.service import RUN, headers, value_words
from workspace.i18n import in_locale

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50
MAX_ATTEMPTS = 3
# A queued task nobody has claimed for this long lost its job.
UNCLAIMED = timedelta(seconds=60)
# A running task silent for this long lost its worker (RQ stops a job at 300 s).
SILENT = timedelta(seconds=600)


def _set(task_id: str, **values: object) -> None:
    with db.transaction() as s:
        task = s.get(ExportTask, task_id)
        if task is not None:
            for key, value in values.items():
                setattr(task, key, value)


@dataclass(frozen=True)
class Claimed:
    id: str
    user_id: int
    format: str
    params: dict[str, Any]
    attempts: int


def _claim(task_id: str) -> Claimed | str:
    now = utcnow()
    with db.transaction() as s:
        task = s.get(ExportTask, task_id, with_for_update=True)
        if task is None or task.status in ("done", "failed"):
            return "nothing to do"
        if task.status == "running" and (task.updated_at or task.created_at) > now - SILENT:
            return "running elsewhere"
        task.attempts += 1
        if task.attempts > MAX_ATTEMPTS:
            task.status, task.finished_at = "failed", now
            task.error = (
                f"gave up after {MAX_ATTEMPTS} attempts; last error: "
                f"{task.error or 'the job stopped without saying why'}"
            )[:500]
            return "failed"
        task.status, task.updated_at, task.done = "running", now, 0
        return Claimed(task.id, task.user_id, task.format, dict(task.params or {}), task.attempts)


def run_export(task_id: str) -> str:
    task = _claim(task_id)
    if isinstance(task, str):
        return task
    try:
        with db.reading() as s:
            user = s.get(User, task.user_id)
            if user is None or not user.active:
                _set(
                    task_id,
                    status="failed",
                    error="The account that asked for it is gone.",
                    finished_at=utcnow(),
                )
                return "failed"
            locale = user.locale
            # The user's access now, not when they asked: a portfolio narrowed
            # meanwhile narrows the file too.
            rows = dashboard_rows(s, user, Filters(**task.params))
        _set(task_id, total=len(rows), done=0, updated_at=utcnow())

        def progress(i: int) -> None:
            if i % PROGRESS_EVERY == 0 and i < len(rows):
                _set(task_id, done=i, updated_at=utcnow())

        with in_locale(locale):
            names, words = headers(), value_words()
        build = files.to_xlsx if task.format == "xlsx" else files.to_csv
        content = build(rows, names, progress, words)
    except Exception as err:
        log.exception("export %s failed", task_id)
        return _failed(task, err)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    _set(
        task_id,
        status="done",
        done=len(rows),
        content=content,
        error=None,
        filename=f"jointlab-portfolio-{stamp}.{task.format}",
        finished_at=utcnow(),
        updated_at=utcnow(),
    )
    return "done"


def _failed(task: Claimed, err: Exception) -> str:
    error = failures.describe(err)
    if failures.is_transient(err) and task.attempts < MAX_ATTEMPTS:
        # Back in the queue; the sweep hands it to a job again.
        _set(task.id, status="queued", error=error, updated_at=utcnow())
        return "retrying: " + error
    _set(task.id, status="failed", error=error, finished_at=utcnow(), updated_at=utcnow())
    return "failed: " + error


def sweep() -> int:
    """Queue again the tasks whose job was lost; returns how many."""
    now = utcnow()
    with db.reading() as s:
        last_sign = func.coalesce(ExportTask.updated_at, ExportTask.created_at)
        ids = list(
            s.scalars(
                select(ExportTask.id)
                .where(
                    or_(
                        (ExportTask.status == "queued") & (last_sign < now - UNCLAIMED),
                        (ExportTask.status == "running") & (last_sign < now - SILENT),
                    )
                )
                .order_by(ExportTask.created_at)
                .limit(100)
            )
        )
    for task_id in ids:
        jobs.enqueue(RUN, task_id, job_id=task_id)
    return len(ids)


def health(s: Session) -> dict[str, Any]:
    """/healthz: exports waiting, being made, and failed (their `error` says why)."""
    counts = dict(
        s.execute(
            select(ExportTask.status, func.count())
            .where(ExportTask.status.in_(("queued", "running", "failed")))
            .group_by(ExportTask.status)
        ).all()
    )
    return {"exports": {k: int(counts.get(k, 0)) for k in ("queued", "running", "failed")}}
