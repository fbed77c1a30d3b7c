"""A client that stops reading is dropped, not buffered for without bound:
once behind, it is taken off the live path and caught up from the log at its
pace; taking nothing for REPLAY_STALL_SECONDS, it is disconnected."""

from __future__ import annotations

import json
import socket

import pytest
import websocket

from realtime import feed, feed_limits
from tests.conftest import wait_for
from workspace.db import db
from workspace.spaces import service

# Timing-sensitive (a stalled reader is dropped in time): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


def _stalled_client(base_url: str, token: str, workspace_id: int) -> websocket.WebSocket:
    """Speaks just enough Engine.IO/Socket.IO to subscribe, then never reads again."""
    url = base_url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(
        url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),), timeout=10
    )
    assert ws.recv().startswith("0")  # engine.io open
    ws.send("40" + json.dumps({"token": token}))
    assert ws.recv().startswith("40")  # namespace connected
    ws.send("421" + json.dumps(["feed:subscribe", {"workspace_id": workspace_id}]))
    assert ws.recv().startswith("431")  # the ack
    return ws


def test_stalled_client_is_disconnected_while_a_healthy_one_gets_everything(
    make, sio, live_server, monkeypatch
):
    monkeypatch.setattr(feed, "LIVE_BACKLOG_PACKETS", 100)
    monkeypatch.setattr(feed_limits, "REPLAY_STALL_SECONDS", 3.0)
    ws = make.workspace()
    token = make.token(ws.partner, ("read",))
    healthy = sio.connect(token=token)
    assert healthy.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
    stalled = _stalled_client(live_server.url, token, ws.id)
    before = feed.pump.subscriber_count()
    assert before == 2

    # 20 bursts of 60 events of ~8 KB: ~10 MB, far more than the TCP buffers
    # hold, while the healthy client keeps up between bursts.
    for burst in range(20):
        with db.transaction() as s:
            for i in range(60):
                service.update_workspace(
                    s, ws.owner, ws.id, {"summary": f"{burst}.{i} " + "x" * 8000}
                )
        wait_for(lambda n=burst: len(healthy.received) == 60 * (n + 1), timeout=30)

    wait_for(lambda: feed.pump.subscriber_count() == 1, timeout=30)
    # python-socketio's client hands each message to a thread of its own, so
    # this list's order is not the wire's; what the client must get is every
    # event once, none missing.
    seqs = [e["seq"] for e in healthy.received]
    assert len(seqs) == len(set(seqs)) == 1200
    assert sorted(seqs) == list(range(min(seqs), min(seqs) + 1200))
    stalled.close()
