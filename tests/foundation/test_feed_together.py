"""Events committed together reach feed watchers of a process served as
`python wsgi.py` serves (gevent, gevent-websocket), where the feed emits a
run of events for the same watchers at once (realtime/feed.py `_flush`,
one write per watcher: realtime/broadcast.py `fan_out`): every kind of
client gets every event, once, in commit order, and a watcher that reads
slowly is caught up from the log rather than buffered without bound."""

from __future__ import annotations

import pytest
from engineio.payload import Payload

from tests.conftest import free_port, wait_for
from tests.foundation.live_access import Conn
from tests.foundation.test_processes import _serve
from tests.foundation.test_serving_model import _stop
from tests.trials.control_test_helpers import CYCLE
from tests.trials.factory import add_indicators, trial
from tests.trials.test_ingest_scale import RECORDED, SlowWatcher
from workspace.db import db
from workspace.trials import ingest_writer
from workspace.trials.readings import Readings

# Starts a server process and reads the feed's timing: alone, after the
# parallel part.
pytestmark = pytest.mark.serial


def _keys(events: list[dict]) -> list[str]:
    return [e["data"]["client_key"] for e in events if e["type"] == RECORDED]


def test_events_committed_together_reach_every_watcher_once_in_order(
    settings, make, api, monkeypatch
):
    # A long-polling response holds every packet queued since the last poll;
    # python-engineio's client refuses more than 16 in one (a guard for its
    # server, where the payload comes from a client) and drops the connection.
    # Its documentation has clients raise the cap; browsers have none.
    monkeypatch.setattr(Payload, "max_decode_packets", 10_000)
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    t = trial(api, ws, "running")
    token = make.token(ws.manager, ("read",))
    proc, url = _serve(settings, free_port())
    conns: list[Conn] = []
    slow: list[SlowWatcher] = []
    try:
        conns = [
            Conn(url, token=token),
            Conn(url, token=token),
            Conn(url, token=token, transports=("polling",)),
        ]
        for conn in conns:
            assert conn.call("feed:subscribe", {"workspace_id": ws.id})["ok"]
        slow = [SlowWatcher(url, token, ws.id, pause=0.01) for _ in range(2)]
        for watcher in slow:
            watcher.start()

        # Two transactions of 300 batches each: each batch's event carries 50
        # readings (~4 KB), a transaction's far more than a slow watcher's
        # buffers and more than a watcher may have waiting (256: beyond, it
        # is caught up from the log).
        keys: list[str] = []
        for burst in range(2):
            with db.transaction() as s:
                for i in range(300):
                    keys.append(f"t{burst}-{i}")
                    readings = Readings.of_rows(
                        {"metric": "cycle_time_s", "value": 60.0 + j / 100, "source": "PLC-7"}
                        for j in range(60)
                    )
                    ingest_writer.record_measurements(s, ws.owner, t["id"], readings, keys[-1])

        for conn in conns:
            wait_for(lambda c=conn: len(_keys(c.events)) >= len(keys), timeout=60)
            assert _keys(conn.events) == keys
        for watcher in slow:
            wait_for(lambda w=watcher: len(_keys(w.events)) >= len(keys), timeout=120)
            assert _keys(watcher.events) == keys
            assert not watcher.closed
        for conn in conns:
            assert _keys(conn.events) == keys  # nothing more came later
            assert conn.client.connected and not conn.dropped.is_set()
    finally:
        for watcher in slow:
            watcher.stop.set()
            watcher.ws.close()
        for conn in conns:
            conn.close()
        out = _stop(proc)
    assert "Traceback" not in out, out
