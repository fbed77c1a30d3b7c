"""The export job: re-reads its task, builds the file, reports progress.

Progress is committed every PROGRESS_EVERY rows so the page's poll sees it
move; a task already done is left alone, so a rerun does no harm.
"""

from __future__ import annotations

import logging

from workspace.auth.models import User
from workspace.dashboard.query import Filters, dashboard_rows
from workspace.db import db, utcnow
from workspace.exports import files
from workspace.exports.models import ExportTask
from workspace.exports.service import headers

log = logging.getLogger(__name__)
PROGRESS_EVERY = 50


def _set(task_id: str, **values: object) -> None:
    with db.transaction() as s:
        task = s.get(ExportTask, task_id)
        if task is not None:
            for key, value in values.items():
                setattr(task, key, value)


def run_export(task_id: str) -> str:
    from workspace.notifications.wording import in_locale

    with db.reading() as s:
        task = s.get(ExportTask, task_id)
        if task is None or task.status == "done":
            return "nothing to do"
        user = s.get(User, task.user_id)
        if user is None:
            return "user gone"
        # The user's access now, not when they asked: a portfolio narrowed
        # meanwhile narrows the file too.
        rows = dashboard_rows(s, user, Filters(**task.params))
        fmt = task.format
    _set(task_id, status="running", total=len(rows), done=0)

    def progress(i: int) -> None:
        if i % PROGRESS_EVERY == 0 and i < len(rows):
            _set(task_id, done=i)

    try:
        with in_locale(user.locale):
            names = headers()
        build = files.to_xlsx if fmt == "xlsx" else files.to_csv
        content = build(rows, names, progress)
    except Exception as err:
        log.exception("export %s failed", task_id)
        _set(task_id, status="failed", error=str(err)[:500], finished_at=utcnow())
        return "failed"
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    _set(task_id, status="done", done=len(rows), content=content,
         filename=f"jointlab-portfolio-{stamp}.{fmt}", finished_at=utcnow())
    return "done"
