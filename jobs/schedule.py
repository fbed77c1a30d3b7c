"""Periodic jobs: the capabilities declare them (`house.every` in their
`register`, workspace/bootstrap.py); `flask --app wsgi scheduler list` shows them.

`run_once()` runs each as if its time had come (`flask --app wsgi scheduler
run-once`). In the embedded default a thread ticks them; with Redis the
worker command ticks them, and a Redis lock makes sure only one scheduler in
the whole deployment does, however many workers run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from jobs.queue import jobs, resolve
from workspace.house import Periodic, current

log = logging.getLogger(__name__)

# The leader renews its lock every second; a leader that dies (SIGKILL) holds
# the periodic jobs back until the lock expires, so keep it short. A leader
# stalled past it lets a second one tick meanwhile, which is harmless: each
# periodic job is enqueued under a fixed job id and is idempotent.
LOCK_SECONDS = 5


def periodic_jobs() -> list[Periodic]:
    """Every periodic job, each once, as the capabilities declared them
    (workspace/bootstrap.py)."""
    return list(current().periodic)


class PeriodicJobsFailed(Exception):
    """Some periodic jobs failed in `run_once` (the others still ran)."""

    def __init__(self, results: dict[str, Any], failed: list[str]) -> None:
        super().__init__(f"periodic jobs failed: {', '.join(failed)}")
        self.results, self.failed = results, failed


def run_once() -> dict[str, Any]:
    """Run every periodic job now, in this process, as if its time had come;
    returns what each said. Jobs they queue run on the queue (a worker, or
    this process's pool: see `jobs.wait_idle`). One failing job does not stop
    the others; PeriodicJobsFailed is raised after all have run, so no caller
    (the CLI, a test) can mistake a failed sweep for a done one."""
    results: dict[str, Any] = {}
    failed: list[str] = []
    for job in periodic_jobs():
        try:
            results[job.path] = resolve(job.now_path or job.path)()
        except Exception as err:
            log.exception("periodic job %s failed", job.path)
            results[job.path] = f"failed: {err}"
            failed.append(job.path)
    if failed:
        raise PeriodicJobsFailed(results, failed)
    return results


class Ticker:
    """Enqueues each periodic job when it is due."""

    def __init__(self, redis_client: Any = None, namespace: str = "jointlab") -> None:
        self.redis = redis_client
        self.LOCK_KEY = f"{namespace}:scheduler:lock"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, float] = {}
        self._me = f"{socket.gethostname()}:{os.getpid()}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _leader(self) -> bool:
        if self.redis is None:
            return True
        try:
            if self.redis.set(self.LOCK_KEY, self._me, nx=True, ex=LOCK_SECONDS):
                return True
            if self.redis.get(self.LOCK_KEY) == self._me.encode():
                self.redis.expire(self.LOCK_KEY, LOCK_SECONDS)
                return True
        except Exception:
            log.warning("scheduler: Redis unavailable; not ticking")
        return False

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            if not self._leader():
                continue
            now = time.monotonic()
            for job in periodic_jobs():
                if now - self._last.get(job.path, 0) >= job.every_seconds:
                    self._last[job.path] = now
                    jobs.enqueue(job.path, job_id=f"periodic:{job.path}")
