"""Fault: a web process SIGKILLed while people edit through it.

Its clients lose their connection mid-edit (some edits sent, not yet
acknowledged); they reconnect to another web process, join with their state
vector and send what the server lacks, as the browser editor does. It proves
they converge with the editors who never left: every edit once in the
stored text and in every client, the feed subscribers resume from their last
`seq` with no gap and no repeat, webhook receivers get each event once, and
no work is left behind by the dead process."""

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
def test_web_process_killed_while_clients_edit(cluster, make, api):
    rng = random.Random(7)
    ws = make.workspace()
    doc = statement_of(api, ws)
    empty_document(api, ws.owner, doc["id"])
    owner = make.token(ws.owner)
    a, b = cluster.web("web-a"), cluster.web("web-b")
    cluster.worker()
    receiver = cluster.receiver()
    res = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks", json={"url": receiver.url, "events": ["workspace.updated"]}
    )
    assert res.status_code == 201
    on_a = [
        cluster.editor(f"a{i}", a.url, make.token(u), doc["id"])
        for i, u in enumerate((ws.owner, ws.partner, ws.owner))
    ]
    on_b = [
        cluster.editor(f"b{i}", b.url, make.token(u), doc["id"])
        for i, u in enumerate((ws.owner, ws.partner))
    ]
    watch_a = cluster.watcher(a.url, make.token(ws.partner, ("read",)), ws.id)
    watch_b = cluster.watcher(b.url, make.token(ws.partner, ("read",)), ws.id)
    writer = Writer([a.url, b.url], owner, ws.id, every=0.1, name="through-a-then-b")
    writer.start()

    def kill_then_reconnect() -> None:
        time.sleep(4)
        a.kill()
        time.sleep(0.5)  # a browser notices and retries within about a second
        for client in (*on_a, watch_a):
            client.connect(b.url)

    fault = threading.Thread(target=kill_then_reconnect)
    fault.start()
    edit_for(on_a + on_b, 10, rng)
    fault.join()
    writer.stop()

    assert not a.alive()
    assert writer.acked and writer.statuses
    editors = on_a + on_b
    assert_documents_converge(editors, b.url, owner, doc["id"], timeout=30)
    events = workspace_events(b.url, owner, ws.id)
    assert_feed_complete([watch_a, watch_b], events)
    updated = [e for e in events if e["type"] == "workspace.updated"]
    # Each acknowledged change is one event; a change whose answer was lost
    # with the process may have committed too, never twice.
    summaries = [e["data"]["changes"]["summary"]["to"] for e in updated]
    assert len(summaries) == len(set(summaries))
    assert set(writer.acked) <= set(summaries) <= set(writer.acked) | set(writer.failed)
    assert_webhooks_exactly_once([receiver], updated, timeout=90)
    assert_nothing_stuck(b.url)
