"""Socket.IO feed: refused without auth, replay then live with no gap or repeat."""

from __future__ import annotations

import pytest
import socketio

from tests.conftest import login_cookie, wait_for


def test_connection_without_credentials_is_refused(sio):
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(token="jl_not-a-real-token")


def test_replay_then_live_without_gap_or_repeat(make, api, sio):
    ws = make.workspace()
    for i in range(5):
        api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"summary": f"v{i}"})
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1))
    cut = seqs[2]

    client = sio.connect(token=make.token(ws.partner, ("read",)))
    ack = client.call("feed:subscribe", {"workspace_id": ws.id, "after": cut}, timeout=10)
    assert ack["ok"] is True, ack
    wait_for(lambda: len(client.received) >= len(seqs) - cut)
    for i in range(3):
        api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"summary": f"live{i}"})
    wait_for(lambda: len(client.received) >= len(seqs) - cut + 3)
    got = [e["seq"] for e in client.received]
    assert got == list(range(cut + 1, seqs[-1] + 4))
    live = client.received[-1]
    assert live["type"] == "workspace.updated"
    assert live["data"]["changes"]["summary"]["to"] == "live2"
    assert set(live) >= {"id", "seq", "type", "workspace_id", "actor", "occurred_at", "data"}


def test_global_feed_by_cookie_only_shows_readable_workspaces(make, api, sio, live_server):
    mine = make.workspace()
    other = make.workspace()
    session, _csrf = login_cookie(live_server.url, mine.partner)
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    client = sio.connect(cookie=cookie)
    assert client.call("feed:subscribe", {}, timeout=10)["ok"] is True
    api.as_(other.owner).patch(f"/workspaces/{other.id}", json={"title": "secret"})
    api.as_(mine.owner).patch(f"/workspaces/{mine.id}", json={"title": "visible"})
    wait_for(lambda: any(e["workspace_id"] == mine.id for e in client.received))
    assert all(e["workspace_id"] == mine.id for e in client.received)


def test_subscribing_to_a_workspace_i_cannot_read_is_not_found(make, sio):
    ws = make.workspace()
    outsider = make.user(side="university")
    client = sio.connect(token=make.token(outsider, ("read",)))
    ack = client.call("feed:subscribe", {"workspace_id": ws.id, "after": 0}, timeout=10)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    ack = client.call("feed:subscribe", {"workspace_id": "x"}, timeout=10)
    assert ack["ok"] is False and ack["error"]["code"] == "validation_failed"


def test_ids_past_what_the_database_holds_are_refused_in_the_ack(make, sio):
    ws = make.workspace()
    client = sio.connect(token=make.token(ws.owner, ("read", "write")))
    big = 10**20
    for event, payload in (
        ("feed:subscribe", {"workspace_id": big}),
        ("feed:subscribe", {"workspace_id": ws.id, "after": big}),
        ("feed:subscribe", {"workspace_id": ws.id, "after": 2**40}),
        ("feed:subscribe", {"after": big}),
        ("doc:join", {"document_id": big}),
    ):
        ack = client.call(event, payload, timeout=10)
        assert ack["ok"] is False, (event, payload, ack)
        assert ack["error"]["code"] in ("validation_failed", "not_found"), (event, ack)
    # The connection is still good for a real subscription.
    assert client.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"] is True


def test_an_event_whose_bus_message_was_lost_still_arrives_in_order(make, api, sio, monkeypatch):
    """The pump hands out the bus's envelopes as they come while no id is
    skipped; an event whose message never came (Redis dropped it, another
    process's crossed) is read from the log before the next one goes out."""
    from workspace.db import db
    from workspace.events.bus import bus
    from workspace.events.log import record_event

    ws = make.workspace()
    client = sio.connect(token=make.token(ws.partner, ("read",)))
    assert client.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"] is True

    with monkeypatch.context() as lost:
        lost.setattr(bus, "publish", lambda _envelopes: None)  # committed, never published
        with db.transaction() as s:
            record_event(s, ws.id, "workspace.updated", {"changes": {"summary": {"to": "lost"}}})
    api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"summary": "published"})
    wait_for(lambda: len(client.received) >= 2, timeout=10)
    # (The client handles each message in a thread of its own: sorted here.)
    got = sorted((e["seq"], e["data"]["changes"]["summary"]["to"]) for e in client.received)
    assert [to for _, to in got] == ["lost", "published"]
    assert got[1][0] == got[0][0] + 1
