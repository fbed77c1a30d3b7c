"""Faults on real processes: Redis stopped while events commit, a worker
killed with SIGKILL in the middle of a delivery. Delivery state lives in
the database, so both end with every delivery made, once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.faults.processes import Redis
from tests.webhooks.receiver import (
    Reply,
    reach_milestone,
    start_worker,
    stop_process,
    wait_listening,
    worker_log,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("JOINTLAB_TEST_REDIS") != "1" or shutil.which("redis-server") is None,
    reason="fault tests start their own redis-server and worker processes; "
    "run with JOINTLAB_TEST_REDIS=1 (tests/run does)",
)


@pytest.fixture
def own_redis() -> Iterator[Redis]:
    server = Redis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Any, own_redis: Redis) -> Any:
    return settings.with_overrides(redis_url=own_redis.url, webhook_timeout=6.0)


def _statuses(api: Any, ws: Any, hook_id: int) -> list[dict]:
    return api.as_(ws.owner).get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]


@pytest.fixture
def listening_worker(app: Any) -> Iterator[subprocess.Popen]:
    """Like `ready`, but returns once the worker is connected, so the outage
    below happens to a running worker, not to one still starting."""
    from jobs.outbox import process_outbox

    with app.app_context():
        process_outbox()
    proc = start_worker(app.extensions["jointlab.settings"])
    wait_listening(proc)
    yield proc
    print(worker_log(proc))  # shown only when the test failed
    stop_process(proc)


@pytest.mark.timeout(240)
def test_events_committed_while_redis_is_down_are_delivered_once_it_returns(
    listening_worker, make, api, receiver, own_redis, app
):
    ws = make.workspace()
    hook = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/webhooks",
            json={"url": receiver.url, "events": ["milestone.reached"]},
        )
        .get_json()
    )
    own_redis.stop()
    for n in range(3):
        reach_milestone(api, ws, f"while down {n}")  # commits succeed without Redis
    # A second worker starts during the outage: it must wait for Redis, not exit.
    late = start_worker(app.extensions["jointlab.settings"])
    try:
        time.sleep(1)
        assert receiver.requests == []
        assert late.poll() is None, worker_log(late)
        own_redis.start()  # empty: every queued wake-up was lost with it
        wait_listening(late)
        from jobs.schedule import PeriodicJobsFailed, run_once

        def delivered() -> bool:
            # The periodic jobs, as the workers' scheduler runs them once it
            # has reconnected (driven here so the test need not wait for a
            # tick); the workers do the sending.
            with app.app_context():
                try:
                    run_once()
                except PeriodicJobsFailed:
                    # Redis is just back: a sweep may fail once, as the
                    # workers' scheduler's would; it runs again next tick.
                    return False
            return len({r.headers["webhook-id"] for r in receiver.requests}) == 3

        wait_for(delivered, timeout=60, interval=1.0)
        wait_for(
            lambda: all(d["status"] == "succeeded" for d in _statuses(api, ws, hook["id"])),
            timeout=15,
        )
        time.sleep(2)
        assert len(receiver.requests) == 3  # each once, though two workers ran
        assert listening_worker.poll() is None, worker_log(listening_worker)
    finally:
        print(worker_log(late))
        stop_process(late)


def test_a_worker_killed_mid_delivery_leads_to_a_retry_that_completes_once(
    ready, make, api, receiver, app
):
    """The first request hangs; its worker is SIGKILLed. After the lease
    expires the sweep queues the delivery again and a new worker sends it."""
    from jobs.deliver_webhook import sweep

    ws = make.workspace()
    hook = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/webhooks",
            json={"url": receiver.url, "events": ["milestone.reached"]},
        )
        .get_json()
    )
    receiver.replies = [Reply(200, delay=30)]
    reach_milestone(api, ws)
    wait_for(lambda: receiver.requests, timeout=30)
    # `ready` started the first worker; find it among our children and kill it.
    killed = _kill_workers()
    assert killed, "no worker process to kill"
    second = start_worker(app.extensions["jointlab.settings"])
    try:

        def done() -> bool:
            with app.app_context():
                sweep()
            items = _statuses(api, ws, hook["id"])
            return bool(items) and items[0]["status"] == "succeeded"

        wait_for(done, timeout=90, interval=1.0)
        items = _statuses(api, ws, hook["id"])
        assert [a["succeeded"] for a in items[0]["attempts"]] == [True]
        assert len(receiver.requests) == 2
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
        time.sleep(2)
        assert len(receiver.requests) == 2
    finally:
        stop_process(second)


def _kill_workers() -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-f", "flask --app wsgi worker"],
        capture_output=True,
        text=True,
    ).stdout.split()
    for pid in out:
        os.kill(int(pid), signal.SIGKILL)
    return [int(p) for p in out]
