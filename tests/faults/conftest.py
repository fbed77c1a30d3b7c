"""Fixtures of the fault runs (`bash tests/faults/run`): a private Redis per
test, web processes and workers on it, and the clients that edit and watch
while a fault happens. Not part of the default suite (tests/conftest.py
leaves this folder out unless JOINTLAB_FAULTS=1)."""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import USE_PG, USE_REDIS
from tests.faults.harness import Editor, FeedWatcher
from tests.faults.processes import Proc, Redis, Web, Worker
from tests.webhooks.receiver import Receiver

if not (USE_PG and USE_REDIS) or shutil.which("redis-server") is None:
    pytest.skip(
        "fault runs need PostgreSQL + Redis and redis-server; use bash tests/faults/run",
        allow_module_level=True,
    )


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis()
    server.start()
    yield server
    server.stop(kill=True)


@pytest.fixture
def settings(settings: Any, redis_server: Redis) -> Any:
    # A receiver that hangs is cut after 2 s, so a lease (2 * timeout + 10 s)
    # runs out within a test's patience.
    return settings.with_overrides(
        redis_url=redis_server.url, webhook_timeout=2.0, webhook_retry_schedule=(1, 1, 1, 2, 5)
    )


class Cluster:
    """Everything a test started, stopped in reverse at the end."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.procs: list[Proc] = []
        self.closers: list[Any] = []

    def web(self, name: str = "web", **overrides: Any) -> Web:
        proc = Web(self.settings.with_overrides(**overrides) if overrides else self.settings, name)
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "worker") -> Worker:
        proc = Worker(self.settings, name)
        self.procs.append(proc)
        return proc

    def editor(self, *args: Any) -> Editor:
        e = Editor(*args)
        self.closers.append(e.close)
        return e

    def watcher(self, *args: Any) -> FeedWatcher:
        w = FeedWatcher(*args)
        self.closers.append(w.close)
        return w

    def receiver(self) -> Receiver:
        r = Receiver()
        self.closers.append(r.stop)
        return r

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid}) ---\n{p.log()}" for p in self.procs)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: S112 - teardown goes on
                continue
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def cluster(app: Any, settings: Any) -> Iterator[Cluster]:
    from jobs.outbox import process_outbox

    with app.app_context():
        process_outbox()  # the consumers' cursors start at the present
    c = Cluster(settings)
    yield c
    print(c.logs())  # pytest shows it when the test failed
    c.close()


class Writer(threading.Thread):
    """Commits workspace changes over HTTP (each one event) at a steady pace,
    moving to the next web process when one does not answer; remembers
    which were acknowledged."""

    def __init__(
        self,
        urls: list[str],
        token: str,
        workspace_id: int,
        every: float = 0.1,
        name: str = "writer",
    ) -> None:
        super().__init__(daemon=True, name=name)
        self.urls, self.token, self.workspace_id, self.every = urls, token, workspace_id, every
        self.acked: list[str] = []
        self.failed: list[str] = []
        self.statuses: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        n, at = 0, 0
        while not self._halt.is_set():
            summary = f"{self.name}: change {n}"  # each one a change
            try:
                res = requests.patch(
                    f"{self.urls[at % len(self.urls)]}/api/v1/workspaces/{self.workspace_id}",
                    json={"summary": summary},
                    timeout=15,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                self.statuses.append(res.status_code)
                (self.acked if res.status_code == 200 else self.failed).append(summary)
            except requests.RequestException:
                self.failed.append(summary)
                at += 1  # that process is gone: the next one
            n += 1
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)


def edit_for(
    editors: list[Editor], seconds: float, rng: random.Random, pause: float = 0.05
) -> None:
    """Each editor edits in its own thread for `seconds`."""

    def loop(e: Editor) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if e.connected():
                e.edit(rng)
            time.sleep(pause)

    threads = [threading.Thread(target=loop, args=(e,), daemon=True) for e in editors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
