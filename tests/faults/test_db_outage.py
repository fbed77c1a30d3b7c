"""Fault: PostgreSQL unreachable for 10 s behind a proxy we control (open
connections reset, new ones never answered: a partition, not a polite
refusal), while people edit and changes commit.

It proves requests during the outage answer quickly with 503 and the house
error shape (`service_unavailable`, with Retry-After), never a 500 nor a hang;
socket edits are refused with the same code and sent again by the editor;
everything works again after: every acknowledged edit and change is stored
once, clients converge, feed and webhooks are complete, nothing stuck."""

from __future__ import annotations

import random
import threading
import time

import pytest
import requests

from tests.conftest import PG_ADMIN_URL
from tests.documents.test_documents_api import statement_of
from tests.faults.conftest import edit_for
from tests.faults.harness import (
    assert_documents_converge,
    assert_feed_complete,
    assert_nothing_stuck,
    assert_webhooks_exactly_once,
    empty_document,
    workspace_events,
)
from tests.faults.processes import TcpProxy

OUTAGE_SECONDS = 10
# "Not a hang": an answer within this, however the database is unreachable.
ANSWER_WITHIN = 6.0


@pytest.mark.timeout(300)
def test_database_unreachable_for_ten_seconds(cluster, settings, make, api):
    from urllib.parse import urlparse

    rng = random.Random(10)
    ws = make.workspace()
    doc = statement_of(api, ws)
    empty_document(api, ws.owner, doc["id"])
    owner = make.token(ws.owner)
    proxy = TcpProxy(urlparse(PG_ADMIN_URL.replace("+psycopg", "")).port or 5432)
    cluster.closers.append(proxy.close)
    proxied = proxy.url_for(settings.database_url)
    cluster.settings = settings.with_overrides(database_url=proxied)
    web = cluster.web("web")
    cluster.worker()
    receiver = cluster.receiver()
    res = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/webhooks", json={"url": receiver.url, "events": ["workspace.updated"]}
    )
    assert res.status_code == 201
    editors = [
        cluster.editor(f"e{i}", web.url, make.token(u), doc["id"])
        for i, u in enumerate((ws.owner, ws.partner))
    ]
    watcher = cluster.watcher(web.url, make.token(ws.partner, ("read",)), ws.id)
    headers = {"Authorization": f"Bearer {owner}"}
    acked: list[str] = []
    during: list[tuple[float, int, dict, dict]] = []  # (seconds, status, headers, body)

    def change(n: int, record: bool) -> None:
        summary = f"change {n}"
        t0 = time.monotonic()
        try:
            res = requests.patch(
                f"{web.url}/api/v1/workspaces/{ws.id}",
                json={"summary": summary},
                headers=headers,
                timeout=30,
            )
        except requests.RequestException as err:
            during.append((time.monotonic() - t0, 0, {}, {"error": str(err)}))
            return
        if res.status_code == 200:
            acked.append(summary)
        if record:
            body = (
                res.json()
                if res.headers.get("Content-Type", "").startswith("application/json")
                else {"raw": res.text[:200]}
            )
            during.append((time.monotonic() - t0, res.status_code, dict(res.headers), body))

    for n in range(5):
        change(n, record=False)
    assert len(acked) == 5

    stop = threading.Event()

    def edit_loop() -> None:
        while not stop.is_set():
            edit_for(editors, 1, rng, pause=0.2)

    editing = threading.Thread(target=edit_loop, daemon=True)
    editing.start()
    time.sleep(1)
    proxy.cut()
    cut_at = time.monotonic()
    n = 5
    while time.monotonic() - cut_at < OUTAGE_SECONDS - 1:
        change(n, record=True)
        reads_t0 = time.monotonic()
        read = requests.get(f"{web.url}/api/v1/workspaces/{ws.id}", headers=headers, timeout=30)
        during.append(
            (time.monotonic() - reads_t0, read.status_code, dict(read.headers), read.json())
        )
        n += 1
    # Asked while the database is still cut: asked after the restore it
    # could find it either way, and a test that accepts both proves nothing.
    health = requests.get(f"{web.url}/healthz", timeout=30)
    while time.monotonic() - cut_at < OUTAGE_SECONDS:
        time.sleep(0.1)
    proxy.restore()
    restored_at = time.monotonic()

    # During: 503 service_unavailable with Retry-After, quickly; never a 500.
    assert during, "no request was made during the outage"
    for seconds, status, hdrs, body in during:
        assert status == 503, (status, body)
        assert body["error"]["code"] == "service_unavailable", body
        assert int(hdrs["Retry-After"]) > 0
        assert seconds <= ANSWER_WITHIN, f"an answer took {seconds:.1f} s"
    assert health.status_code == 503, health.text
    assert health.json()["database"]["ok"] is False, health.text

    # After: writes work again within a few seconds.
    def works() -> bool:
        res = requests.patch(
            f"{web.url}/api/v1/workspaces/{ws.id}",
            json={"summary": "after"},
            headers=headers,
            timeout=30,
        )
        return res.status_code == 200

    from tests.conftest import wait_for

    wait_for(works, timeout=30, interval=0.5)
    acked.append("after")
    assert requests.get(f"{web.url}/healthz", timeout=30).status_code == 200
    print(
        f"{len(during)} requests during the outage, slowest answer "
        f"{max(d[0] for d in during):.2f} s; writes back "
        f"{time.monotonic() - restored_at:.1f} s after the database"
    )
    time.sleep(2)
    stop.set()
    editing.join(timeout=30)

    refused = [c for e in editors for c in e.codes]
    assert set(refused) <= {"service_unavailable"}, refused
    for e in editors:  # the editor sends refused edits again (its next sync)
        if e.unsynced:
            e.sync()
    assert_documents_converge(editors, web.url, owner, doc["id"], timeout=30)
    events = workspace_events(web.url, owner, ws.id)
    assert_feed_complete([watcher], events)
    updated = [e for e in events if e["type"] == "workspace.updated"]
    summaries = [e["data"]["changes"]["summary"]["to"] for e in updated]
    assert sorted(summaries) == sorted(acked)  # refused ones were not stored
    assert_webhooks_exactly_once([receiver], updated, timeout=90)
    assert_nothing_stuck(web.url)
