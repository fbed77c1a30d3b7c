"""The clients of a fault run (editors, feed watchers) and the final "nothing
lost, nothing doubled" checks every run ends with. The processes it starts,
stops and kills are in processes.py."""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from typing import Any

import requests
import socketio

from tests.conftest import wait_for
from workspace.documents import crdt


# ------------------------------------------------------------------ clients
def _ordered(client: socketio.Client) -> None:
    """engineio hands each message to a thread of its own; a binary
    attachment could then be decoded before its header. In order, on the
    read thread (as a browser does)."""
    trigger = client.eio._trigger_event

    def in_order(event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs["run_async"] = False
        return trigger(event, *args, **kwargs)

    client.eio._trigger_event = in_order


def _close(client: socketio.Client) -> None:
    with contextlib.suppress(Exception):
        if client.eio.ws is not None:
            client.eio.ws.close(timeout=0.1)
        client.eio.disconnect(abort=True)


class Editor:
    """A Yjs peer editing one document over Socket.IO, as the browser editor
    does (static/editor-src/src/editor.js): on every (re)connect it joins
    with its state vector, applies what it lacks, and sends what the server
    lacks (its unacknowledged edits); an edit not acknowledged is not lost
    to it, it goes with the next sync.

    Each edit inserts a unique token such as `[e1:17]` at a boundary between
    tokens, so the final text shows any loss or duplication."""

    def __init__(self, name: str, url: str, token: str, document_id: int) -> None:
        self.name, self.token, self.document_id = name, token, document_id
        self.doc = crdt.new_doc()
        self.lock = threading.RLock()
        self.made: list[str] = []
        self.acked: list[str] = []
        self.errors: list[str] = []
        self.codes: list[str] = []  # error codes of refused updates
        # An edit not acknowledged (no answer, or the server could not store
        # it for now): the editor sends it again, as the browser editor does
        # on an ack timeout, with its next sync.
        self.unsynced = False
        self.client: socketio.Client | None = None
        self.url = url
        self.connect(url)

    # -- connection
    def connect(self, url: str) -> None:
        self.url = url
        client = socketio.Client(reconnection=False)
        _ordered(client)
        client.on("doc:update", self._remote)
        client.connect(url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        self.client = client
        self.sync()

    def sync(self) -> None:
        """Join (again): take what the server has, send it what it lacks."""
        with self.lock:
            state = self.doc.get_state()
        ack = self.client.call(
            "doc:join", {"document_id": self.document_id, "state_vector": state}, timeout=15
        )
        assert ack.get("ok"), ack
        with self.lock:
            self.doc.apply_update(ack["update"])
            lacking = self.doc.get_update(ack["state_vector"])
        if not crdt.is_empty(lacking):
            sent = self.client.call(
                "doc:update", {"document_id": self.document_id, "update": lacking}, timeout=15
            )
            assert sent.get("ok"), sent
        self.unsynced = False

    def connected(self) -> bool:
        return self.client is not None and self.client.connected

    def close(self) -> None:
        if self.client is not None:
            _close(self.client)

    def _remote(self, payload: dict[str, Any]) -> None:
        if payload.get("document_id") == self.document_id:
            with self.lock:
                self.doc.apply_update(payload["update"])

    # -- editing
    def text(self) -> str:
        with self.lock:
            return str(crdt.text_of(self.doc))

    def edit(self, rng: random.Random) -> bool:
        """One edit; True when the server acknowledged it."""
        token = f"[{self.name}:{len(self.made)}]"
        with self.lock:
            text = crdt.text_of(self.doc)
            current = str(text)
            bounds = [0, len(current)] + [m.start() for m in re.finditer(r"\[", current)]
            at = rng.choice(bounds)
            update = crdt.capture(self.doc, lambda d: crdt.text_of(d).insert(at, token))
            self.made.append(token)
        try:
            ack = self.client.call(
                "doc:update", {"document_id": self.document_id, "update": update}, timeout=10
            )
        except Exception as err:  # disconnected or no answer: sent with the next sync
            self.errors.append(f"{token}: {type(err).__name__}")
            self.unsynced = True
            return False
        if ack.get("ok"):
            self.acked.append(token)
            return True
        code = ack.get("error", {}).get("code")
        self.codes.append(code)
        self.errors.append(f"{token}: {code}")
        self.unsynced = True
        return False


class FeedWatcher:
    """A `feed:subscribe` client for one workspace that, after a reconnect,
    subscribes again from the last `seq` it saw (as dashboard_feed.js does)."""

    def __init__(self, url: str, token: str, workspace_id: int) -> None:
        self.token, self.workspace_id = token, workspace_id
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client: socketio.Client | None = None
        self.connect(url)

    def connect(self, url: str) -> None:
        client = socketio.Client(reconnection=False)
        _ordered(client)
        client.on("event", self._event)
        client.connect(url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        self.client = client
        with self.lock:
            after = self.events[-1]["seq"] if self.events else 0
        ack = client.call(
            "feed:subscribe", {"workspace_id": self.workspace_id, "after": after}, timeout=15
        )
        assert ack.get("ok"), ack

    def _event(self, envelope: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(envelope)

    def seqs(self) -> list[int]:
        with self.lock:
            return [e["seq"] for e in self.events]

    def close(self) -> None:
        if self.client is not None:
            _close(self.client)


def empty_document(api: Any, user: Any, document_id: int) -> None:
    """Start from an empty text: the tokens are then all there is (and all
    ASCII, so Yrs offsets and Python indexes agree)."""
    res = api.as_(user).put(f"/documents/{document_id}/text", json={"text": ""})
    assert res.status_code == 200, res.get_json()


# ------------------------------------------------------------------ checks
def stored_text(url: str, token: str, document_id: int) -> str:
    res = requests.get(
        f"{url}/api/v1/documents/{document_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert res.status_code == 200, res.text
    return res.json()["text"]


def assert_documents_converge(
    editors: list[Editor], url: str, token: str, document_id: int, timeout: float = 30
) -> str:
    """Every acknowledged edit is in the stored text and in every client's
    text, each exactly once, and all texts are the same. Returns it."""

    def same() -> bool:
        stored = stored_text(url, token, document_id)
        return all(e.text() == stored for e in editors)

    try:
        wait_for(same, timeout=timeout, interval=0.25)
    except AssertionError:
        stored = stored_text(url, token, document_id)
        differ = {e.name: _missing(stored, e.text()) for e in editors if e.text() != stored}
        raise AssertionError(f"clients did not converge on the stored text: {differ}") from None
    stored = stored_text(url, token, document_id)
    tokens = re.findall(r"\[[^\]]+\]", stored)
    doubled = sorted({t for t in tokens if tokens.count(t) > 1})
    assert not doubled, f"edits stored twice: {doubled}"
    acked = [t for e in editors for t in e.acked]
    lost = [t for t in acked if t not in tokens]
    assert not lost, f"acknowledged edits lost: {lost}"
    # Unacknowledged edits are not lost either: each client sent them again
    # with its next sync.
    made = [t for e in editors for t in e.made]
    assert sorted(tokens) == sorted(made), set(made) ^ set(tokens)
    assert "".join(tokens) == stored  # nothing but whole tokens: no torn text
    return stored


def _missing(stored: str, text: str) -> dict[str, Any]:
    a, b = set(re.findall(r"\[[^\]]+\]", stored)), set(re.findall(r"\[[^\]]+\]", text))
    return {"client_lacks": sorted(a - b)[:10], "store_lacks": sorted(b - a)[:10]}


def workspace_events(url: str, token: str, workspace_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        res = requests.get(
            f"{url}/api/v1/workspaces/{workspace_id}/events",
            params={"after": after, "limit": 200},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert res.status_code == 200, res.text
        page = res.json()["items"]
        items.extend(page)
        if len(page) < 200:
            return items
        after = page[-1]["seq"]


def assert_feed_complete(
    watchers: list[FeedWatcher], events: list[dict[str, Any]], timeout: float = 30
) -> None:
    """Each subscriber got every committed event of the workspace, once, in
    order, with no gap."""
    expected = [e["seq"] for e in events]
    assert expected == list(range(1, len(expected) + 1)), "the log itself has a gap"
    for w in watchers:
        with contextlib.suppress(AssertionError):
            wait_for(lambda w=w: len(w.seqs()) >= len(expected), timeout=timeout)
        time.sleep(0.3)  # a duplicate would arrive about now
        assert w.seqs() == expected, (
            f"feed subscriber: missing {sorted(set(expected) - set(w.seqs()))[:20]}, "
            f"doubled {sorted({s for s in w.seqs() if w.seqs().count(s) > 1})[:20]}"
        )
        ids = {e["id"] for e in w.events}
        assert ids == {e["id"] for e in events}


def assert_webhooks_exactly_once(
    receivers: list[Any], events: list[dict[str, Any]], timeout: float = 90
) -> dict[str, int]:
    """Each receiver got every event once by `webhook-id` (Standard Webhooks:
    a retry of one event keeps its id, receivers drop the repeat). Returns
    how many raw repeats each saw (a delivery cut by a kill is sent again)."""
    want = {e["id"] for e in events}
    repeats: dict[str, int] = {}
    for r in receivers:

        def ids_of(r: Any = r) -> dict[str, set[int]]:
            seen: dict[str, set[int]] = {}
            for req in list(r.requests):
                seen.setdefault(req.headers["webhook-id"], set()).add(req.json()["data"]["id"])
            return seen

        with contextlib.suppress(AssertionError):
            wait_for(
                lambda: {i for s in ids_of().values() for i in s} >= want,
                timeout=timeout,
                interval=0.5,
            )
        seen = ids_of()
        got = [i for s in seen.values() for i in s]
        assert all(len(s) == 1 for s in seen.values()), "one webhook-id carried two events"
        assert sorted(got) == sorted(want), (
            f"{r.url}: missing {sorted(want - set(got))[:20]}, "
            f"under two webhook-ids {sorted({i for i in got if got.count(i) > 1})[:20]}"
        )
        repeats[r.url] = len(r.requests) - len(seen)
    return repeats


def assert_nothing_stuck(url: str, admin_token: str | None = None, timeout: float = 60) -> None:
    """No delivery pending, no outbox consumer behind, no queued or started
    job left (as /healthz reports them)."""
    from sqlalchemy import func, select

    from workspace.db import db
    from workspace.webhooks.models import Delivery

    def settled() -> bool:
        with db.reading() as s:
            pending = s.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status != "succeeded")
            )
        health = requests.get(url + "/healthz", timeout=10).json()
        lag = health.get("outbox_lag", {})
        queues = health.get("queues", {})
        busy = {q: n for q, n in queues.items() if isinstance(n, int) and n}
        return pending == 0 and not any(lag.values()) and not busy

    try:
        wait_for(settled, timeout=timeout, interval=1.0)
    except AssertionError:
        health = requests.get(url + "/healthz", timeout=10).json()
        raise AssertionError(f"work left stuck: {health}") from None
