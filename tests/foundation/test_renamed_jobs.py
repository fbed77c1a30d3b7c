"""A job queued by the previous release under a module path renamed since
(jobs/queue.py RENAMED) still runs after the upgrade, by its new name: RQ
keeps a job's dotted path in Redis until a worker runs it, and the in-process
queue resolves paths the same way. No module keeps an old name alive."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from tests.conftest import USE_REDIS

OLD_RUN_EXPORT = "workspace.exports.jobs.run_export"


def _queued_export(manager: Any, task_id: str) -> None:
    from workspace.db import db
    from workspace.exports.models import ExportTask

    with db.transaction() as s:
        s.add(ExportTask(id=task_id, user_id=manager.id, format="csv", params={}, status="queued"))


def _status(task_id: str) -> str:
    from workspace.db import db
    from workspace.exports.models import ExportTask

    with db.reading() as s:
        return s.get(ExportTask, task_id).status


def test_every_renamed_job_resolves_to_its_new_function_and_no_shim_is_left() -> None:
    from jobs.queue import RENAMED, resolve

    assert OLD_RUN_EXPORT in RENAMED
    for old, new in RENAMED.items():
        assert resolve(old) is resolve(new), old
        assert callable(resolve(new))
        old_module = old.rpartition(".")[0]
        assert importlib.util.find_spec(old_module) is None, f"{old_module} still exists"


def test_the_in_process_queue_runs_a_job_queued_under_its_old_path(app, make) -> None:
    from jobs.queue import InProcessQueue

    manager = make.manager()
    _queued_export(manager, "export-old-in-process")
    queue = InProcessQueue(app)
    try:
        queue.enqueue(OLD_RUN_EXPORT, "export-old-in-process", job_id="export-old-in-process")
        assert queue.wait_idle(30)
    finally:
        queue.shutdown()
    with app.app_context():
        assert _status("export-old-in-process") == "done"


@pytest.mark.skipif(not USE_REDIS, reason="RQ needs the Redis backend")
def test_the_rq_worker_runs_a_job_queued_under_its_old_path(app, make) -> None:
    from rq.job import Job, JobStatus

    from jobs.queue import jobs
    from jobs.worker import _new_worker

    manager = make.manager()
    _queued_export(manager, "export-old-rq")
    redis = app.extensions["jointlab.redis"]
    # As the previous release queued it: RQ stores the path it was given.
    jobs.backend.enqueue(OLD_RUN_EXPORT, "export-old-rq", job_id="export-old-rq")
    queue = jobs.backend.queues["default"]
    stored = [Job.fetch(i, connection=redis) for i in queue.job_ids]
    (job,) = [j for j in stored if j.args == ("export-old-rq",)]
    assert job.func_name == OLD_RUN_EXPORT
    with pytest.raises((ImportError, ValueError)):  # as RQ versions word it
        job.func  # noqa: B018  (RQ alone would import the stored path and fail)

    with app.app_context():
        _new_worker(redis).work(burst=True, with_scheduler=False)
        assert _status("export-old-rq") == "done"
    job = Job.fetch(job.id, connection=redis)
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "done"
