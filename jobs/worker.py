"""`flask --app wsgi worker`: an RQ worker for every queue, with the scheduler."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, cron).")
@click.option("--no-scheduler", is_flag=True, help="Do not tick periodic jobs here.")
@with_appcontext
def worker_command(burst: bool, no_scheduler: bool) -> None:
    from rq import SimpleWorker

    from jobs.queue import jobs
    from jobs.schedule import Ticker
    from workspace.app import settings_of

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    redis = app.extensions.get("jointlab.redis")
    if redis is None:
        raise click.UsageError(
            "REDIS_URL is not set: without it jobs run inside `python wsgi.py`."
        )
    ticker = None
    if not no_scheduler and not burst:
        ticker = Ticker(redis, settings_of(app).redis_namespace)
        ticker.start()
    # SimpleWorker runs jobs in this process (no fork per job): our jobs are
    # short and I/O-bound, and a fork per webhook would dominate their cost.
    worker = SimpleWorker(list(jobs.backend.queues.values()), connection=redis)
    # RQ backs off up to 60 s between reconnects; after a Redis outage that
    # would leave due work waiting a minute for no reason.
    worker.max_connection_wait_time = 5.0
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        if ticker:
            ticker.stop()
