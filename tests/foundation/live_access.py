"""Helpers for the Socket.IO access tests: a recording client, valid payloads
for every client event, and a cookie for a user."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

import socketio
from pycrdt import write_var_uint

from workspace.documents import crdt


class Conn:
    """A python-socketio client that records what the server pushes."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        cookie: str | None = None,
        transports: tuple[str, ...] = ("websocket",),
        **client_options: Any,
    ) -> None:
        self.client = socketio.Client(reconnection=False, **client_options)
        # engineio hands every message to a thread of its own, so a binary
        # attachment (doc:update) can be decoded before its header, and
        # events can be recorded out of order; in order, on the read thread:
        trigger = self.client.eio._trigger_event

        def in_order(event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs["run_async"] = False
            return trigger(event, *args, **kwargs)

        self.client.eio._trigger_event = in_order
        self.events: list[dict] = []
        self.updates: list[dict] = []
        self.ended: list[dict] = []
        self.changed: list[dict] = []
        self.dropped = threading.Event()
        self.client.on("event", self.events.append)
        self.client.on("doc:update", self.updates.append)
        self.client.on("session:ended", self.ended.append)
        self.client.on("access:changed", self.changed.append)
        self.client.on("disconnect", lambda *_: self.dropped.set())
        headers = {"Cookie": cookie} if cookie else {}
        self.client.connect(
            url,
            auth={"token": token} if token else None,
            headers=headers,
            transports=list(transports),
            wait_timeout=10,
        )

    def call(self, event: str, payload: Any) -> dict:
        return self.client.call(event, payload, timeout=15)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.client.eio.ws is not None:
                self.client.eio.ws.close(timeout=0.1)
            self.client.eio.disconnect(abort=True)


def insert_update(text: str = "x") -> bytes:
    """A valid Yjs update from a fresh peer: insert at the start."""
    doc = crdt.new_doc()
    return crdt.capture(doc, lambda d: crdt.text_of(d).insert(0, text))


def awareness_update(client_id: int = 7, clock: int = 1) -> bytes:
    payload = json.dumps({"user": {"name": "probe"}}).encode()
    return (
        write_var_uint(1)
        + write_var_uint(client_id)
        + write_var_uint(clock)
        + write_var_uint(len(payload))
        + payload
    )


def payloads(workspace_id: int, document_id: int) -> dict[str, dict]:
    """A valid payload for every client event (the schema passes; only
    access decides)."""
    return {
        "feed:subscribe": {"workspace_id": workspace_id},
        "feed:unsubscribe": {},
        "doc:join": {"document_id": document_id, "state_vector": b""},
        "doc:update": {"document_id": document_id, "update": insert_update("probe ")},
        "doc:awareness": {"document_id": document_id, "update": awareness_update()},
        "doc:leave": {"document_id": document_id},
    }


def cookie_of(base_url: str, user: Any) -> tuple[str, Any, str]:
    """Log in over HTTP: the Cookie header, the requests session, its CSRF token."""
    from tests.conftest import login_cookie

    session, csrf = login_cookie(base_url, user)
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items()), session, csrf


def code_of(ack: dict) -> str:
    return "ok" if ack.get("ok") else ack["error"]["code"]
