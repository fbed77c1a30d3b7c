"""`feed:subscribe`: replay from a cursor, then live events, no gap, no repeat.

One pump thread per process reads the database log (the truth) after its
high-water mark whenever the bus says something was committed, and at least
every POLL_SECONDS (the relay for wake-ups lost while Redis was down). It then
hands each event to the local subscriptions whose cursor it passes. Because
event ids become visible in commit order (events/log.py), reading `id > mark`
never skips an event, and a subscription's cursor makes repeats impossible.

Replay waits until the subscribe handler's thread has sent its ack, so a
client always sees the ack first, then the replay, then live events.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from marshmallow import Schema, ValidationError, fields, validates_schema

from realtime import clients, socketio
from realtime.acks import handler
from workspace.auth.access import Need, readable_workspace_ids, require_workspace
from workspace.auth.models import User
from workspace.db import db
from workspace.events import types as ev
from workspace.events.log import feed_events, latest_event_id, workspace_events
from workspace.events.schemas import FeedQuerySchema, parse_types
from workspace.fields import MAX_EVENT_ID, MAX_ID, id_range

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
BATCH = 500
# A client this far behind is not reading; drop it rather than buffer without
# bound. It reconnects and resumes from its cursor.
MAX_BACKLOG_PACKETS = 5000


@dataclass
class Subscription:
    sid: str
    user_id: int
    workspace_id: int | None
    allowed: set[int] | None  # None: every workspace
    types: list[str] | None
    cursor: int = 0  # last event id given to the client
    ready: bool = False

    def wants(self, event: dict[str, Any]) -> bool:
        wid = event["workspace_id"]
        if self.workspace_id is not None and wid != self.workspace_id:
            return False
        if self.allowed is not None and wid not in self.allowed:
            return False
        return not self.types or any(ev.matches(p, event["type"]) for p in self.types)


@dataclass
class FeedPump:
    high_water: int = 0
    subs: dict[str, list[Subscription]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, app: Flask) -> None:
        from workspace.events.bus import bus

        with db.reading() as s:
            self.high_water = latest_event_id(s)
        bus.subscribe(self.on_events)
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="feed-pump", daemon=True)
            self._thread.start()
        bus.start_listener()

    def stop(self) -> None:
        from workspace.events.bus import bus

        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        bus.stop()
        with self.lock:
            self.subs.clear()

    def on_events(self, _envelopes: list[dict[str, Any]]) -> None:
        self.wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()
            try:
                self.drain()
            except Exception:
                log.exception("feed pump: drain failed; retrying")
                self._stop.wait(1.0)

    def drain(self) -> None:
        with self.lock:
            while True:
                with db.reading() as s:
                    rows = feed_events(s, None, self.high_water, BATCH)
                if not rows:
                    return
                for row in rows:
                    self._dispatch(row.envelope())
                    self.high_water = row.id
                if len(rows) < BATCH:
                    return

    def _dispatch(self, envelope: dict[str, Any]) -> None:
        if envelope["type"] in (ev.MEMBER_ADDED, ev.MEMBER_REMOVED):
            self._refresh_access(envelope["data"].get("user_id"))
        # One emit for all recipients: the packet is encoded once, not per
        # client; a client with several matching subscriptions gets it once.
        targets = []
        for sid, subs in list(self.subs.items()):
            matching = [sub for sub in subs
                        if sub.ready and envelope["id"] > sub.cursor and sub.wants(envelope)]
            if matching and _writable(sid):
                targets.append(sid)
                for sub in matching:
                    sub.cursor = envelope["id"]
        if targets:
            _emit(targets, envelope)

    def _refresh_access(self, user_id: int | None) -> None:
        for subs in self.subs.values():
            for sub in subs:
                if sub.user_id == user_id and sub.workspace_id is None:
                    with db.reading() as s:
                        user = s.get(User, user_id)
                        ids = readable_workspace_ids(s, user) if user else []
                    sub.allowed = None if ids is None else set(ids)

    def subscribe(self, sub: Subscription, after: int | None, by_seq: bool,
                  handler_thread: threading.Thread) -> None:
        with self.lock:
            self.subs.setdefault(sub.sid, []).append(sub)
            if after is None:
                sub.cursor, sub.ready = self.high_water, True
                return

        def replay() -> None:
            handler_thread.join(timeout=5)  # the ack goes out first
            try:
                with self.lock:
                    if sub not in self.subs.get(sub.sid, []):
                        return
                    last = self._replay(sub, after, by_seq)
                    sub.cursor = max(last, self.high_water)
                    sub.ready = True
            except Exception:
                # Left subscribed, the client would wait for events that never
                # come; disconnected, it reconnects and asks again from its cursor.
                log.exception("feed: replay for %s failed", sub.sid)
                self.unsubscribe_all(sub.sid)
                socketio.server.disconnect(sub.sid, ignore_queue=True)

        socketio.start_background_task(replay)

    def _replay(self, sub: Subscription, after: int, by_seq: bool) -> int:
        last_id = 0
        cursor = after
        while True:
            with db.reading() as s:
                if by_seq:
                    assert sub.workspace_id is not None
                    rows = workspace_events(s, sub.workspace_id, cursor, BATCH)
                else:
                    allowed = None if sub.allowed is None else sorted(sub.allowed)
                    rows = feed_events(s, allowed, cursor, BATCH, sub.types)
            for row in rows:
                envelope = row.envelope()
                if sub.wants(envelope):
                    if not _writable(sub.sid):
                        return last_id
                    _emit([sub.sid], envelope)
                last_id = row.id
                cursor = row.seq if by_seq else row.id
            if len(rows) < BATCH:
                return last_id

    def unsubscribe_all(self, sid: str) -> None:
        with self.lock:
            self.subs.pop(sid, None)

    def subscriber_count(self) -> int:
        return sum(len(v) for v in self.subs.values())


def _writable(sid: str) -> bool:
    """Is this local client still there and reading? Drop one whose backlog has
    no end in sight; it resumes from its cursor when it reconnects."""
    try:
        server = socketio.server
        eio_sid = server.manager.eio_sid_from_sid(sid, "/")
        eio_socket = server.eio.sockets.get(eio_sid) if eio_sid else None
        if eio_socket is None:
            return False
        if eio_socket.queue.qsize() > MAX_BACKLOG_PACKETS:
            log.warning("feed: dropping stalled client %s", sid)
            pump.unsubscribe_all(sid)
            socketio.server.disconnect(sid, ignore_queue=True)
            return False
        return True
    except Exception:
        log.exception("feed: checking client %s failed", sid)
        return False


def _emit(sids: list[str], envelope: dict[str, Any]) -> None:
    try:
        # Local clients only: the pump of every process serves its own.
        socketio.emit("event", envelope, to=sids, ignore_queue=True)
    except Exception:
        log.exception("feed: emit failed")


pump = FeedPump()


class SubscribeSchema(Schema):
    workspace_id = fields.Integer(strict=True, load_default=None, allow_none=True,
                                  validate=id_range())
    after = fields.Integer(strict=True, load_default=None, allow_none=True,
                           validate=id_range(0, MAX_EVENT_ID))
    types = fields.Raw(load_default=None)

    @validates_schema
    def _seq_in_range(self, data: dict[str, Any], **_: Any) -> None:
        # With a workspace, `after` is a seq, an `integer` column.
        if data.get("workspace_id") is not None and (data.get("after") or 0) > MAX_ID:
            raise ValidationError(f"Must be at most {MAX_ID}.", field_name="after")


@handler("feed:subscribe", SubscribeSchema())
def subscribe(payload: dict[str, Any]) -> dict[str, Any]:
    client = clients.current()
    user = clients.current_user()
    types = payload["types"]
    if isinstance(types, list):
        types = ",".join(str(t) for t in types)
    types = FeedQuerySchema().load({"types": types})["types"] if types else None
    workspace_id = payload["workspace_id"]
    with db.reading() as s:
        if workspace_id is not None:
            require_workspace(s, user, workspace_id, Need.READ)
            allowed = {workspace_id}
        else:
            ids = readable_workspace_ids(s, user)
            allowed = None if ids is None else set(ids)
    sub = Subscription(sid=client.sid, user_id=user.id, workspace_id=workspace_id,
                       allowed=allowed, types=parse_types(types))
    pump.subscribe(sub, payload["after"], workspace_id is not None, threading.current_thread())
    return {"high_water": pump.high_water}


@handler("feed:unsubscribe")
def unsubscribe(_payload: Any) -> None:
    pump.unsubscribe_all(request.sid)  # type: ignore[attr-defined]
