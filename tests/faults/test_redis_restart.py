"""Fault: Redis restarted (its data gone: no persistence) while people edit
a document on two web processes and changes commit through both.

Redis carries the Socket.IO relays between processes, the event bus wake-
ups and the job queue; the database is the truth. It proves that after the
restart every editor converges on the stored text with every edit once,
every feed subscriber got every event once with no gap, every webhook
receiver every event once (by webhook-id), and no delivery or job is left
behind."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.documents.test_documents_api import statement_of
from tests.faults.conftest import Writer, edit_for
from tests.faults.harness import (
    assert_documents_converge,
    assert_feed_complete,
    assert_nothing_stuck,
    assert_webhooks_exactly_once,
    empty_document,
    workspace_events,
)


@pytest.mark.timeout(300)
def test_redis_restarted_during_editing_and_event_flow(cluster, redis_server, make, api):
    rng = random.Random(12)
    ws = make.workspace()
    doc = statement_of(api, ws)
    empty_document(api, ws.owner, doc["id"])
    owner = make.token(ws.owner)
    a, b = cluster.web("web-a"), cluster.web("web-b")
    cluster.worker()
    receivers = [cluster.receiver(), cluster.receiver()]
    for r in receivers:
        res = api.as_(ws.owner).post(
            f"/workspaces/{ws.id}/webhooks", json={"url": r.url, "events": ["workspace.updated"]}
        )
        assert res.status_code == 201, res.get_json()
    editors = [
        cluster.editor(f"e{i}", (a, b)[i % 2].url, make.token(user), doc["id"])
        for i, user in enumerate((ws.owner, ws.partner, ws.owner, ws.partner))
    ]
    watchers = [cluster.watcher(w.url, make.token(ws.partner, ("read",)), ws.id) for w in (a, b)]
    writers = [Writer([w.url], owner, ws.id, every=0.15, name=w.name) for w in (a, b)]
    for w in writers:
        w.start()

    def restart() -> None:
        time.sleep(3)
        redis_server.stop(kill=True)
        time.sleep(2)  # down for 2 s: commits go on, relays and wake-ups are lost
        redis_server.start()

    fault = threading.Thread(target=restart)
    fault.start()
    edit_for(editors, 12, rng)
    fault.join()
    for w in writers:
        w.stop()

    # Nothing refused for Redis's sake: it is not the truth.
    assert all(s == 200 for w in writers for s in w.statuses), [w.statuses for w in writers]
    for e in editors:
        assert not e.codes, (e.name, e.errors)
    assert_documents_converge(editors, a.url, owner, doc["id"], timeout=30)
    events = workspace_events(a.url, owner, ws.id)
    assert_feed_complete(watchers, events)
    updated = [e for e in events if e["type"] == "workspace.updated"]
    assert len(updated) == sum(len(w.acked) for w in writers)
    repeats = assert_webhooks_exactly_once(receivers, updated, timeout=90)
    assert not any(repeats.values()), repeats  # no kill here: nothing was sent twice
    assert_nothing_stuck(a.url)
