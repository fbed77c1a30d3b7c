"""Fault: a worker SIGKILLed while it has webhook deliveries in flight.

A worker drains a burst of events to two receivers (answering slowly, so
many deliveries are in the air); it is killed with SIGKILL mid-requests and
two fresh ones start. The killed worker's claimed deliveries stay leased
until their lease runs out, then are claimed again. It proves every event reaches
every receiver exactly once by `webhook-id` (a delivery cut mid-request may
arrive twice with the same id, as Standard Webhooks allows, never under a
second id), every delivery ends `succeeded`, and no job is left stuck."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wait_for
from tests.faults.conftest import Writer
from tests.faults.harness import (
    assert_feed_complete,
    assert_nothing_stuck,
    assert_webhooks_exactly_once,
    workspace_events,
)
from tests.webhooks.receiver import Reply


@pytest.mark.timeout(300)
def test_worker_killed_during_deliveries(cluster, make, api):
    ws = make.workspace()
    owner = make.token(ws.owner)
    web = cluster.web("web")
    first = cluster.worker("worker-1")
    receivers = [cluster.receiver(), cluster.receiver()]
    for r in receivers:
        r.default = Reply(200, delay=1.0)  # deliveries stay in flight a while
        res = api.as_(ws.owner).post(
            f"/workspaces/{ws.id}/webhooks", json={"url": r.url, "events": ["workspace.updated"]}
        )
        assert res.status_code == 201
    watcher = cluster.watcher(web.url, make.token(ws.partner, ("read",)), ws.id)
    writer = Writer([web.url], owner, ws.id, every=0.02, name="burst")
    writer.start()
    # Kill the worker while it waits for answers (it alone has been sending).
    wait_for(lambda: all(len(r.requests) >= 5 for r in receivers), timeout=60)
    first.kill()
    started = time.monotonic()
    cut = sum(len(r.requests) for r in receivers)
    for r in receivers:
        r.default = Reply(200, delay=0.1)
    second = cluster.worker("worker-2")
    time.sleep(1)
    writer.stop()
    cluster.worker("worker-3")

    events = workspace_events(web.url, owner, ws.id)
    updated = [e for e in events if e["type"] == "workspace.updated"]
    assert len(updated) == len(writer.acked) and all(s == 200 for s in writer.statuses)
    repeats = assert_webhooks_exactly_once(receivers, updated, timeout=120)
    recovered_in = time.monotonic() - started
    print(
        f"{len(updated)} events x {len(receivers)} receivers; repeats after the kill: "
        f"{repeats}; all delivered {recovered_in:.1f} s after the kill"
    )
    assert second.alive()
    # The kill did cut requests in flight (else this proved nothing): their
    # events were sent again, under the same webhook-id.
    assert sum(repeats.values()) > 0, f"no delivery was cut ({cut} sent before the kill)"
    assert_feed_complete([watcher], events)
    assert_nothing_stuck(web.url)
