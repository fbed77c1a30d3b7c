"""One interface to enqueue work; two transports chosen at start.

Without REDIS_URL jobs run on a small thread pool inside the web process (the
embedded default). With it they go to RQ and run in `flask --app wsgi worker`.
Jobs are named by dotted path and take only ids, so either transport can run
them and a job run twice does no harm (each re-reads and checks its work).
"""

from __future__ import annotations

import atexit
import functools
import importlib
import logging
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import redis
from flask import Flask

from workspace.config import Settings

log = logging.getLogger(__name__)

QUEUES = ("default", "deliveries", "email")


# Jobs whose module was renamed, old dotted path -> new. A job is stored by
# its path until it runs (RQ keeps it in Redis, a delayed one for as long as
# its delay), so one queued by the previous release may run after the upgrade;
# no shim module keeps an old name alive, this table does. An entry can go
# once no deployment still holds a job queued before its rename.
RENAMED = {
    "workspace.evidence.jobs.build_pack": "workspace.evidence.build.build_pack",
    "workspace.evidence.jobs.build_pending_packs": "workspace.evidence.build.build_pending_packs",
    "workspace.exports.jobs.run_export": "workspace.exports.build.run_export",
    "workspace.exports.jobs.sweep": "workspace.exports.build.sweep",
}


def resolve(path: str) -> Any:
    """The function a job path names, by its current name (RENAMED)."""
    module, _, name = RENAMED.get(path, path).rpartition(".")
    return getattr(importlib.import_module(module), name)


@functools.cache
def rq_job_class() -> type:
    """RQ's Job, with the function looked up by `resolve` (so through
    RENAMED) when the worker runs it; RQ would import the stored path as is."""
    from rq.job import Job  # local: RQ only with REDIS_URL (see RedisQueue)

    class RenamedAwareJob(Job):
        @property
        def func(self) -> Any:
            if self.instance is None and self.func_name:
                return resolve(self.func_name)
            return super().func

    return RenamedAwareJob


class InProcessQueue:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="job")
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running = 0  # submitted and not finished
        self._timers: set[threading.Timer] = set()
        self._closed = False

    def enqueue(
        self,
        path: str,
        *args: Any,
        job_id: str | None = None,
        queue: str = "default",
        delay: float = 0,
    ) -> None:
        if delay > 0:
            timer = threading.Timer(
                delay, self.enqueue, (path, *args), {"job_id": job_id, "queue": queue}
            )
            timer.daemon = True
            self._timers.add(timer)
            timer.start()
            return
        with self._lock:
            if self._closed:
                # Shutting down (a delayed job's timer fired late): what it
                # would do is in the database, and the sweeps pick it up on
                # the next start.
                return
            if job_id is not None:
                if job_id in self._pending:
                    return
                self._pending.add(job_id)
            self._running += 1
            self._pool.submit(self._run, path, args, job_id)

    def wake(self, path: str, job_id: str) -> None:
        self.enqueue(path, job_id=job_id)  # already cheap: a set and a pool

    def _run(self, path: str, args: tuple, job_id: str | None) -> None:
        if job_id is not None:
            # Drop the mark before running, so work arriving during the run
            # schedules another pass instead of being skipped.
            with self._lock:
                self._pending.discard(job_id)
        try:
            with self.app.app_context():
                resolve(path)(*args)
        except Exception:
            log.exception("job %s%r failed", path, args)
        finally:
            with self._lock:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Until every job queued so far, and the jobs those queued, has run
        (delayed retries excepted); False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def depth(self) -> dict[str, int]:
        return {"in_process": self._pool._work_queue.qsize()}

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
        for timer in list(self._timers):
            timer.cancel()
        self._pool.shutdown(wait=True, cancel_futures=False)


class RedisQueue:
    def __init__(self, redis_client: Any, namespace: str) -> None:
        # local: RQ (~0.1 s to import) only with REDIS_URL; in-process queues never load it.
        from rq import Queue

        self.redis = redis_client
        self.namespace = namespace
        self.queues = {
            name: Queue(f"{namespace}-{name}", connection=redis_client) for name in QUEUES
        }
        self._waker = Waker(self.enqueue)

    def wake(self, path: str, job_id: str) -> None:
        self._waker.request(path, job_id)

    def enqueue(
        self,
        path: str,
        *args: Any,
        job_id: str | None = None,
        queue: str = "default",
        delay: float = 0,
    ) -> None:
        """`job_id` de-duplicates: while a job with that id waits in the queue
        another is not added. One that already started does not count, so work
        that arrives during a run gets a run of its own."""
        q = self.queues[queue]
        options: dict[str, Any] = {"job_timeout": 300, "result_ttl": 300, "failure_ttl": 7 * 86400}
        if job_id is not None:
            from rq.job import Job, JobStatus  # local: RQ only with REDIS_URL (above)

            marker = f"{self.namespace}:dedupe:{job_id}"
            current = self.redis.get(marker)
            if current is not None:
                try:
                    status = Job.fetch(current.decode(), connection=self.redis).get_status()
                except Exception:
                    status = None
                if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
                    return
            rq_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{self.namespace}-{job_id}")
            options["job_id"] = f"{rq_id}-{uuid.uuid4().hex[:8]}"
            self.redis.set(marker, options["job_id"], ex=86400)
        if delay > 0:
            q.enqueue_in(timedelta(seconds=delay), path, *args, **options)
        else:
            q.enqueue(path, *args, **options)

    def depth(self) -> dict[str, int]:
        return {name: q.count for name, q in self.queues.items()}

    def wait_idle(self, timeout: float) -> bool:
        """The workers run the jobs; what matters here is that the wake-ups
        merged in this process are in Redis before it exits."""
        self._waker.flush()
        return True

    def shutdown(self) -> None:
        self._waker.stop()


WAKE_EVERY = 0.1  # seconds between one process's wake-ups of a job under load


class Waker:
    """Queues de-duplicated wake-up jobs from a thread of its own.

    An RQ enqueue with de-duplication is several Redis round trips; run inside
    the committing request it was a fifth of the measurements hot path. Wake-ups
    asked for while one is being queued are merged into one more. What is still
    unqueued when the process exits is queued then (short-lived commands).

    A wake-up after a quiet spell is queued at once; after one, the next waits
    until `every` seconds have passed, gathering what is asked meanwhile. Under
    a stream of commits (a line posting 40 batches a second) each wake-up had
    been a job of its own, and RQ's bookkeeping per job (a dozen Redis round
    trips in the worker) cost more of the machine than the consumers' work;
    a webhook or mail may now leave up to `every` later.
    """

    def __init__(self, enqueue: Any, every: float = WAKE_EVERY) -> None:
        self._enqueue = enqueue
        self.every = every
        self._cond = threading.Condition()
        self._wanted: dict[str, str] = {}  # job id -> path
        self._busy: dict[str, str] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False

    def request(self, path: str, job_id: str) -> None:
        with self._cond:
            if self._stopped:
                return
            self._wanted[job_id] = path
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="job-waker", daemon=True)
                self._thread.start()
                atexit.register(self.stop)
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                self._busy, self._wanted = self._wanted, {}
            self._send(self._busy)
            with self._cond:
                self._busy = {}
                self._cond.wait_for(lambda: self._stopped, timeout=self.every)

    def _send(self, wanted: dict[str, str]) -> None:
        for job_id, path in wanted.items():
            try:
                self._enqueue(path, job_id=job_id)
            except Exception:
                log.warning("could not enqueue %s; the periodic sweep will catch up", path)

    def flush(self) -> None:
        """Queue what is pending now, from the caller's thread."""
        with self._cond:
            left, self._wanted = self._wanted, {}
        self._send(left)

    def stop(self) -> None:
        """Queue what is pending, then let the thread end."""
        with self._cond:
            if self._stopped:
                return
            self._stopped = True
            left = {**self._busy, **self._wanted}
            self._wanted = {}
            self._cond.notify()
        self._send(left)


class Jobs:
    """The app's queue; `jobs.enqueue` never raises into a request: a job that
    cannot be queued now is picked up by the periodic sweeps."""

    def __init__(self) -> None:
        self.backend: InProcessQueue | RedisQueue | None = None

    def enqueue(self, path: str, *args: Any, **kwargs: Any) -> bool:
        if self.backend is None:
            return False
        try:
            self.backend.enqueue(path, *args, **kwargs)
            return True
        except Exception:
            log.warning("could not enqueue %s; the periodic sweep will catch up", path)
            return False

    def wake(self, path: str, job_id: str) -> None:
        """Like `enqueue` for a de-duplicated, argument-less wake-up job, but it
        may be queued a moment later from another thread, merged with others."""
        if self.backend is not None:
            try:
                self.backend.wake(path, job_id)
            except Exception:
                log.warning("could not wake %s; the periodic sweep will catch up", path)

    def depth(self) -> dict[str, int]:
        return self.backend.depth() if self.backend else {}

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """For short-lived commands: the work they queued is done (in-process)
        or handed to Redis before they exit."""
        return self.backend.wait_idle(timeout) if self.backend else True


jobs = Jobs()


def redis_client(url: str) -> Any:
    return redis.Redis.from_url(
        url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30
    )


def init_jobs(app: Flask, settings: Settings) -> Any:
    """The queue's backend: RQ with REDIS_URL (returns its Redis client, which
    the event bus shares), in-process without (returns None)."""
    if settings.redis_url:
        client = redis_client(settings.redis_url)
        jobs.backend = RedisQueue(client, settings.redis_namespace)
        app.extensions["jointlab.redis"] = client
        return client
    jobs.backend = InProcessQueue(app)
    return None
