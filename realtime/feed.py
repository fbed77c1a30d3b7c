"""`feed:subscribe`: replay from a cursor, then live events, no gap, no repeat.

One pump thread per process hands each committed event to the local
subscriptions whose cursor it passes. The bus brings the events themselves
(their envelopes, published after commit: events/log.py); event ids become
visible in commit order, so while each envelope is the one right after the
pump's high-water mark it is handed out as it is, with no read. Otherwise
(an id skipped: a message lost while Redis was down, messages of two
processes crossing, or an id a rolled-back transaction used), and at least
every POLL_SECONDS, the pump reads the database log (the truth) after its
high-water mark, so it never skips an event; a subscription's cursor makes
repeats impossible.

Replay waits until the subscribe handler's thread has sent its ack, so a
client always sees the ack first, then the replay, then live events. History
is replayed outside the pump's lock, at the client's pace; only the tail
(what arrived meanwhile) is sent under the lock, right before the
subscription goes live. Caps on subscriptions and replays: feed_limits.py.

Access is the caller's current access: a subscription's readable workspaces
are re-read whenever the user's rights change (realtime/guard.py), before the
pump hands out any event committed after that change.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from realtime import feed_limits, socketio
from realtime.feed_limits import budget
from realtime.feed_sending import Subscription, backlog, emit, read_log, send_rows
from workspace.auth.access import Need, readable_workspace_ids, require_workspace
from workspace.auth.models import User
from workspace.db import db
from workspace.events import types as ev
from workspace.events.bus import bus
from workspace.events.log import feed_events, latest_event_id
from workspace.spaces.models import Workspace

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
BATCH = 500
# A client this far behind stops getting live events and catches up from the
# log instead, at its own pace (`FeedPump.catch_up`): a slow reader gets every
# event without the server buffering without bound. One that takes nothing
# for REPLAY_STALL_SECONDS is dropped; it resumes from its cursor.
LIVE_BACKLOG_PACKETS = feed_limits.REPLAY_BACKLOG


@dataclass
class FeedPump:
    high_water: int = 0
    subs: dict[str, list[Subscription]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    wake: threading.Event = field(default_factory=threading.Event)
    # Envelopes from the bus not handed out yet; None: read the log.
    inbox: deque[list[dict[str, Any]] | None] = field(default_factory=deque)
    # Dispatched, not emitted yet (under the lock): a transaction's events
    # reach each recipient in one write (`_flush`). `pending`: how many of
    # them each client has coming, part of its backlog.
    outgoing: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)
    pending: Counter[str] = field(default_factory=Counter)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    # Re-evaluates a user's connections when their rights change
    # (realtime.guard.recheck_user): given by `start`.
    recheck_user: Callable[[int, str], None] | None = None

    def start(
        self,
        app: Flask,
        recheck_user: Callable[[int, str], None],
        on_notices: Callable[[list[dict[str, Any]]], None],
    ) -> None:
        """Start handing out events. `recheck_user(user_id, reason)` runs
        before a membership event goes to anyone; `on_notices` hears the
        bus's access notices."""
        self.recheck_user = recheck_user

        with db.reading() as s:
            self.high_water = latest_event_id(s)
        self.inbox.clear()
        bus.subscribe(self.on_events)
        bus.subscribe_notices(on_notices)
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="feed-pump", daemon=True)
            self._thread.start()
        bus.start_listener()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        bus.stop()
        with self.lock:
            self.subs.clear()
            self.inbox.clear()

    def on_events(self, envelopes: list[dict[str, Any]]) -> None:
        # An empty batch follows a reconnection to Redis: read the log.
        self.inbox.append(envelopes or None)
        self.wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self.wake.wait(POLL_SECONDS)
            self.wake.clear()
            try:
                if not woken or not self.take_inbox():
                    self.drain()
            except Exception:
                log.exception("feed pump: drain failed; retrying")
                self._stop.wait(1.0)

    def take_inbox(self) -> bool:
        """Hand out the bus's envelopes that follow the high-water mark
        without a gap; False when the log must be read (a gap, or a batch
        that says read it)."""
        with self.lock:
            try:
                while self.inbox:
                    envelopes = self.inbox.popleft()
                    if envelopes is None:
                        return False
                    for envelope in sorted(envelopes, key=lambda e: e["id"]):
                        if envelope["id"] <= self.high_water:
                            continue  # read from the log already
                        if envelope["id"] != self.high_water + 1:
                            return False
                        self._dispatch(envelope)
                        self.high_water = envelope["id"]
                return True
            finally:
                self._flush()

    def drain(self) -> None:
        with self.lock:
            while True:
                with db.reading() as s:
                    rows = feed_events(s, None, self.high_water, BATCH)
                if not rows:
                    return
                try:
                    for row in rows:
                        self._dispatch(row.envelope())
                        self.high_water = row.id
                finally:
                    self._flush()
                if len(rows) < BATCH:
                    return

    def _dispatch(self, envelope: dict[str, Any]) -> None:
        if envelope["type"] in (ev.MEMBER_ADDED, ev.MEMBER_REMOVED, ev.MEMBER_ROLE_CHANGED):
            user_id = envelope["data"].get("user_id")
            if isinstance(user_id, int) and self.recheck_user is not None:
                # Before this event (and any later one) goes to anyone; what
                # came before it, to those who could read it then.
                self._flush()
                self.recheck_user(user_id, "membership_changed")
        # One emit for all recipients: the packet is encoded once, not per
        # client; a client with several matching subscriptions gets it once.
        targets = []
        for sid, subs in list(self.subs.items()):
            matching = [
                sub
                for sub in subs
                if sub.ready and envelope["id"] > sub.cursor and sub.wants(envelope)
            ]
            if not matching:
                continue
            waiting = backlog(sid)
            if waiting is None:
                continue
            if waiting + self.pending[sid] > LIVE_BACKLOG_PACKETS:
                self._flush()  # what it has coming goes before the catch-up's
                for sub in matching:
                    self.catch_up(sub)
                continue
            targets.append(sid)
            for sub in matching:
                sub.cursor = envelope["id"]
        if targets:
            self.outgoing.append((targets, envelope))
            self.pending.update(targets)

    def _flush(self) -> None:
        """Emit what was dispatched, in order; a run of events for the same
        recipients (a group of batches' events, say) as one emit, which
        writes each recipient all of them at once."""
        outgoing, self.outgoing = self.outgoing, []
        self.pending.clear()
        run: list[dict[str, Any]] = []
        for i, (targets, envelope) in enumerate(outgoing):
            run.append(envelope)
            if i + 1 == len(outgoing) or outgoing[i + 1][0] != targets:
                emit(targets, run)
                run = []

    def recheck(self, user: User, sids: list[str]) -> dict[str, list[int]]:
        """Re-read what `user` may read for their subscriptions on `sids`;
        drop those scoped to a workspace they lost. Returns, per sid, the
        workspaces whose events it will no longer be given."""
        lost: dict[str, set[int]] = {}
        with self.lock:
            subs = [(sid, sub) for sid in sids for sub in self.subs.get(sid, [])]
            if not subs:
                return {}
            with db.reading() as s:
                ids = readable_workspace_ids(s, user)
                readable = None if ids is None else set(ids)
                everything: set[int] | None = None
                for sid, sub in subs:
                    if readable is None:
                        sub.allowed = None if sub.workspace_id is None else sub.allowed
                        continue
                    if sub.workspace_id is not None:
                        if sub.workspace_id not in readable:
                            sub.active = False
                            self.subs[sid].remove(sub)
                            lost.setdefault(sid, set()).add(sub.workspace_id)
                        continue
                    before = sub.allowed
                    if before is None:  # it could read every workspace until now
                        if everything is None:
                            everything = set(s.scalars(select(Workspace.id)))
                        before = everything
                    if before - readable:
                        lost.setdefault(sid, set()).update(before - readable)
                    sub.allowed = readable
            for sid in sids:
                if sid in self.subs and not self.subs[sid]:
                    del self.subs[sid]
        return {sid: sorted(ids) for sid, ids in lost.items()}

    def subscribe(
        self, sub: Subscription, user: User, after: int | None, by_seq: bool, handler: Any
    ) -> None:
        """Add (or replace) a subscription, within the caps; raises with
        nothing changed when over one or when the workspace is not readable."""
        with self.lock:
            mine = self.subs.get(sub.sid, [])
            replaced = [s for s in mine if s.workspace_id == sub.workspace_id]
            kept = [s for s in mine if s.workspace_id != sub.workspace_id]
            of_user = sum(
                1 for subs in self.subs.values() for s in subs if s.user_id == sub.user_id
            )
            feed_limits.check_subscriptions(len(kept), of_user - len(replaced))
            if after is not None:
                budget.acquire(sub.user_id)
            try:
                # Read under the lock: a membership change committed after this
                # read is dispatched after this subscription exists, and
                # re-checks it (guard.recheck_user).
                sub.allowed = _readable(user, sub.workspace_id)
            except Exception:
                if after is not None:
                    budget.release(sub.user_id)
                raise
            for old in replaced:
                old.active = False
            self.subs[sub.sid] = [*kept, sub]
            if after is None:
                sub.cursor, sub.ready = self.high_water, True
                return

        def replay() -> None:
            handler.join(timeout=5)  # the ack goes out first
            try:
                with budget.slots:
                    self._replay(sub, after, by_seq)
            except Exception:
                # Left subscribed, the client would wait for events that never
                # come; disconnected, it reconnects and asks again from its cursor.
                log.exception("feed: replay for %s failed", sub.sid)
                self.unsubscribe_all(sub.sid)
                socketio.server.disconnect(sub.sid, ignore_queue=True)
            finally:
                budget.release(sub.user_id)

        socketio.start_background_task(replay)

    def catch_up(self, sub: Subscription) -> None:
        """Take a live subscription whose client fell behind off the live
        path and replay the log to it from its cursor, paced by the client
        (called under the lock, by the pump)."""
        log.info("feed: client %s is behind; catching up from the log", sub.sid)
        sub.ready = False

        def replay() -> None:
            try:
                with budget.slots:
                    self._replay(sub, sub.cursor, by_seq=False, whole=True)
                if sub.active and not sub.ready:  # gone, or dropped as stalled
                    self.unsubscribe_all(sub.sid)
            except Exception:
                log.exception("feed: catching up %s failed", sub.sid)
                self.unsubscribe_all(sub.sid)
                socketio.server.disconnect(sub.sid, ignore_queue=True)

        socketio.start_background_task(replay)

    def _replay(self, sub: Subscription, after: int, by_seq: bool, whole: bool = False) -> None:
        at: tuple[int, int] | None = (after, 0)  # (cursor, last event id sent)
        # History, outside the lock, at the client's pace: full batches only;
        # the last, partial one is read again under the lock. Catching up
        # (`whole`), everything committed so far is sent at the client's pace
        # and the client has taken most of it, so what is sent under the lock
        # is only what arrived meanwhile, however slow the client.
        while at is not None and sub.active:
            rows = read_log(sub, at[0], by_seq, BATCH)
            if not rows or (len(rows) < BATCH and not whole):
                break
            at = send_rows(sub, rows, by_seq, at, paced=True)
        if whole and (at is None or not sub.active or not feed_limits.paced(sub.sid)):
            return
        with self.lock:
            while at is not None and sub.active:
                rows = read_log(sub, at[0], by_seq, BATCH)
                at = send_rows(sub, rows, by_seq, at, paced=False)
                if at is not None and len(rows) < BATCH:
                    sub.cursor = max(at[1], self.high_water)
                    sub.ready = True
                    return

    def unsubscribe_all(self, sid: str) -> None:
        with self.lock:
            for sub in self.subs.pop(sid, []):
                sub.active = False

    def subscriber_count(self) -> int:
        return sum(len(v) for v in self.subs.values())


def _readable(user: User, workspace_id: int | None) -> set[int] | None:
    with db.reading() as s:
        if workspace_id is not None:
            require_workspace(s, user, workspace_id, Need.READ)
            return {workspace_id}
        ids = readable_workspace_ids(s, user)
    return None if ids is None else set(ids)


pump = FeedPump()
