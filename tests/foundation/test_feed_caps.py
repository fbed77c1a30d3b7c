"""`feed:subscribe` is capped per connection and per user, and a replay
holds a bounded amount of memory (realtime/feed_limits.py)."""

from __future__ import annotations

import json
import threading
import time

from realtime import feed, feed_limits
from tests.conftest import wait_for
from tests.foundation.live_access import Conn
from tests.foundation.test_stalled_client import _stalled_client
from workspace.db import db
from workspace.spaces import service


def _history(ws, count: int, size: int = 0) -> None:
    with db.transaction() as s:
        for i in range(count):
            service.update_workspace(s, ws.owner, ws.id, {"summary": f"{i} " + "x" * size})


def _workspaces(make, admin, count: int) -> list[int]:
    """Cheap workspaces (no people), for an admin to subscribe to."""
    enterprise, university = make.org("enterprise"), make.org("university")
    with db.transaction() as s:
        return [
            service.create_workspace(
                s,
                admin,
                title=f"W{i}",
                summary="",
                enterprise_id=enterprise.id,
                university_id=university.id,
            ).id
            for i in range(count)
        ]


def test_resubscribing_to_the_same_scope_replaces_the_subscription(make, live_server):
    ws = make.workspace()
    conn = Conn(live_server.url, token=make.token(ws.partner, ("read",)))
    for _ in range(5):
        assert conn.call("feed:subscribe", {"workspace_id": ws.id})["ok"]
        assert conn.call("feed:subscribe", {})["ok"]
    assert feed.pump.subscriber_count() == 2
    _history(ws, 1)
    wait_for(lambda: conn.events)
    time.sleep(0.3)
    assert len(conn.events) == 1  # once, though it matches both scopes
    conn.close()


def test_subscriptions_are_capped_per_connection_and_per_user(make, live_server):
    admin = make.admin()
    cap = feed_limits.MAX_SUBSCRIPTIONS_PER_CONNECTION
    ids = _workspaces(make, admin, cap + 1)
    token = make.token(admin, ("read",))
    conn = Conn(live_server.url, token=token)
    for wid in ids[:cap]:
        assert conn.call("feed:subscribe", {"workspace_id": wid})["ok"]
    over = conn.call("feed:subscribe", {"workspace_id": ids[cap]})
    assert over["ok"] is False and over["error"]["code"] == "too_many_subscriptions"
    assert str(cap) in over["error"]["message"]
    assert conn.call("feed:subscribe", {})["error"]["code"] == "too_many_subscriptions"
    # Nothing changed: no new subscription, and a re-subscribe still works.
    assert feed.pump.subscriber_count() == cap
    assert conn.call("feed:subscribe", {"workspace_id": ids[0]})["ok"]
    assert conn.call("feed:unsubscribe", {})["ok"] and feed.pump.subscriber_count() == 0

    per_user = feed_limits.MAX_SUBSCRIPTIONS_PER_USER
    conns = [Conn(live_server.url, token=token) for _ in range(per_user // cap)]
    for c in conns:
        for wid in ids[:cap]:
            assert c.call("feed:subscribe", {"workspace_id": wid})["ok"]
    extra = Conn(live_server.url, token=token)
    refused = extra.call("feed:subscribe", {"workspace_id": ids[0]})
    assert refused["error"]["code"] == "too_many_subscriptions"
    assert feed.pump.subscriber_count() == per_user
    # Another person is not held back by this one's subscriptions.
    other = Conn(live_server.url, token=make.token(make.admin(), ("read",)))
    assert other.call("feed:subscribe", {"workspace_id": ids[0]})["ok"]
    for c in [conn, *conns, extra, other]:
        c.close()


def test_three_thousand_subscribes_replay_history_a_bounded_number_of_times(make, live_server):
    """The attack from issue 12: 3,000 subscribes with `after: 0` on one socket
    replayed the whole history 3,000 times."""
    ws = make.workspace()
    history = 100
    _history(ws, history)
    conn = Conn(live_server.url, token=make.token(ws.partner, ("read",)))
    acks: list[dict] = []
    done = threading.Event()
    attempts = 3000

    def on_ack(ack: dict) -> None:
        acks.append(ack)
        if len(acks) == attempts:
            done.set()

    for _ in range(attempts):
        conn.client.emit("feed:subscribe", {"workspace_id": ws.id, "after": 0}, callback=on_ack)
    assert done.wait(120), f"{len(acks)} of {attempts} acks"
    wait_for(lambda: feed_limits.budget.running() == 0, timeout=30)
    accepted = [a for a in acks if a["ok"]]
    refused = [a for a in acks if not a["ok"]]
    assert {a["error"]["code"] for a in refused} == {"too_many_replays"}
    assert 1 <= len(accepted) <= feed_limits.MAX_REPLAYS_PER_MINUTE
    # History went out at most once per accepted replay, not 3,000 times.
    assert history <= len(conn.events) <= len(accepted) * (history + 10)
    assert feed.pump.subscriber_count() == 1
    # The one subscription left is live, and gets the next event once.
    seen = len(conn.events)
    _history(ws, 1)
    wait_for(lambda: len(conn.events) > seen)
    time.sleep(0.3)
    assert len(conn.events) == seen + 1
    conn.close()


def test_a_replay_waits_for_a_slow_reader_instead_of_buffering(make, live_server, monkeypatch):
    monkeypatch.setattr(feed, "BATCH", 50)
    monkeypatch.setattr(feed_limits, "REPLAY_STALL_SECONDS", 3.0)
    ws = make.workspace()
    _history(ws, 1200, size=8000)  # ~10 MB: more than the socket buffers hold
    token = make.token(ws.partner, ("read",))
    stalled = _stalled_client(live_server.url, token, ws.id)
    # It subscribed live; this replaces that with a replay of everything.
    stalled.send("422" + json.dumps(["feed:subscribe", {"workspace_id": ws.id, "after": 0}]))
    sid = next(iter(feed.pump.subs))
    peak = 0
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        waiting = feed_limits.backlog(sid)
        peak = max(peak, waiting or 0)
        time.sleep(0.01)
    assert 0 < peak <= feed_limits.REPLAY_BACKLOG + 1
    # A reader that takes nothing at all is dropped; it resumes from its cursor.
    wait_for(lambda: feed.pump.subscriber_count() == 0, timeout=15)
    assert feed_limits.backlog(sid) is None
    stalled.close()
