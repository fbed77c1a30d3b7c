"""`flask --app wsgi worker`: an RQ worker for every queue, with the scheduler."""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any

import click
import redis as redis_lib
from flask import Flask, current_app
from flask.cli import with_appcontext

from jobs.queue import jobs, rq_job_class
from jobs.schedule import Ticker
from workspace.config import settings_of

log = logging.getLogger(__name__)

# RQ backs off up to 60 s between reconnects; after a Redis outage that would
# leave due work waiting a minute for no reason.
RECONNECT_WAIT_MAX = 5.0


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, cron).")
@click.option("--no-scheduler", is_flag=True, help="Do not tick periodic jobs here.")
@with_appcontext
def worker_command(burst: bool, no_scheduler: bool) -> None:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    redis = app.extensions.get("jointlab.redis")
    if redis is None:
        raise click.UsageError("REDIS_URL is not set: without it jobs run inside `python wsgi.py`.")
    ticker = None
    if not no_scheduler and not burst:
        ticker = Ticker(redis, settings_of(app).redis_namespace)
        ticker.start()
    try:
        while True:
            wait_for_redis(redis)
            worker = _new_worker(redis)
            try:
                worker.work(burst=burst, with_scheduler=True)
            except (redis_lib.exceptions.ConnectionError, redis_lib.exceptions.TimeoutError):
                # Lost while registering itself, before RQ's loop began.
                continue
            # RQ's loop retries a lost connection only while it waits for a
            # job; one lost anywhere else (a heartbeat, finishing a job, or at
            # start-up) makes it return as if asked to stop. A worker is
            # asked to stop by a signal, never by an outage: start it again.
            if burst or worker._shutdown_requested_date is not None:  # SIGTERM or SIGINT
                break
            log.warning("worker: RQ's loop ended without a stop request; starting it again")
            time.sleep(1.0)
    finally:
        if ticker:
            ticker.stop()


def _new_worker(redis: Any) -> Any:
    from rq import SimpleWorker  # local: RQ (~0.1 s) only for this operator command

    # SimpleWorker runs jobs in this process (no fork per job): our jobs are
    # short and I/O-bound, and a fork per webhook would dominate their cost.
    class Worker(SimpleWorker):
        def unsubscribe(self) -> None:
            _unsubscribe(self)

    worker = Worker(list(jobs.backend.queues.values()), connection=redis, job_class=rq_job_class())
    worker.max_connection_wait_time = RECONNECT_WAIT_MAX
    return worker


PUBSUB_STOP_WAIT = 1.0  # seconds; RQ's own bound before redis-py 8 joined without one


def _unsubscribe(worker: Any) -> None:
    """RQ's unsubscribe, with its wait for the command thread bounded again.

    RQ unsubscribes, then stops its pub/sub thread (which listens for "stop
    this job" commands) and joins it. If that thread reads the unsubscribe's
    reply before it is told to stop, it goes on to wait up to 60 s (RQ's
    interval) for a subscription that never comes; redis-py 8's `stop()` joins
    it without a bound, so a SIGTERM'd worker took up to a minute to exit, past
    many supervisors' grace period. The thread is a daemon and holds no job.
    """
    thread = worker.pubsub_thread
    if not thread:
        return
    worker.pubsub.unsubscribe()
    if "timeout" in inspect.signature(thread.stop).parameters:
        thread.stop(timeout=PUBSUB_STOP_WAIT)
    else:  # redis-py before 8: stop() only clears the flag
        thread.stop()
        thread.join(timeout=PUBSUB_STOP_WAIT)
    worker.pubsub.close()


def wait_for_redis(redis: Any) -> None:
    """Block until Redis answers, saying so once: a worker started (or
    restarted) during an outage waits for it instead of exiting."""
    wait, said = 0.5, False
    while True:
        try:
            redis.ping()
            if said:
                click.echo("worker: Redis is back", err=True)
            return
        except (redis_lib.exceptions.ConnectionError, redis_lib.exceptions.TimeoutError) as err:
            if not said:
                kwargs = redis.connection_pool.connection_kwargs
                where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
                click.echo(f"worker: waiting for Redis at {where} ({err})", err=True)
                said = True
            time.sleep(wait)
            wait = min(wait * 2, RECONNECT_WAIT_MAX)
