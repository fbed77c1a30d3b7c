"""What the feed pump (realtime/feed.py) hands out, and how: a
subscription, the log read for it, and events sent to local clients, a run
of them at once (one write per client on the fan-out path)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from realtime import broadcast, feed_limits, socketio
from workspace.db import db
from workspace.events import types as ev
from workspace.events.log import feed_events, workspace_events

log = logging.getLogger("realtime.feed")


@dataclass
class Subscription:
    sid: str
    user_id: int
    workspace_id: int | None
    allowed: set[int] | None  # None: every workspace
    types: list[str] | None
    cursor: int = 0  # last event id given to the client
    ready: bool = False
    active: bool = True  # False once replaced, or its access is gone

    def wants(self, event: dict[str, Any]) -> bool:
        wid = event["workspace_id"]
        if self.workspace_id is not None and wid != self.workspace_id:
            return False
        if self.allowed is not None and wid not in self.allowed:
            return False
        return not self.types or any(ev.matches(p, event["type"]) for p in self.types)


def read_log(sub: Subscription, cursor: int, by_seq: bool, limit: int) -> list[Any]:
    """Up to `limit` events of the log after `cursor` that `sub` may read."""
    with db.reading() as s:
        if by_seq:
            assert sub.workspace_id is not None
            return workspace_events(s, sub.workspace_id, cursor, limit)
        allowed = None if sub.allowed is None else sorted(sub.allowed)
        return feed_events(s, allowed, cursor, limit, sub.types)


def send_rows(
    sub: Subscription, rows: list[Any], by_seq: bool, at: tuple[int, int], paced: bool
) -> tuple[int, int] | None:
    """Emit the rows the subscription wants; (cursor, last id) after them,
    or None when the subscription or its client is gone."""
    cursor, last = at
    for row in rows:
        envelope = row.envelope()
        if sub.wants(envelope):
            ready = feed_limits.paced(sub.sid) if paced else writable(sub.sid)
            if not (sub.active and ready):
                return None
            emit([sub.sid], [envelope])
        last = row.id
        cursor = row.seq if by_seq else row.id
    return cursor, last


def backlog(sid: str) -> int | None:
    """Messages waiting for this local client (a run of pre-framed events
    counts as its events); None when it is gone."""
    try:
        return feed_limits.backlog(sid)
    except Exception:
        log.exception("feed: checking client %s failed", sid)
        return None


def writable(sid: str) -> bool:
    """Is this local client still there? (The tail of a replay, under the
    lock: at most one read of the log, whatever the client's backlog.)"""
    return backlog(sid) is not None


def emit(sids: list[str], envelopes: list[dict[str, Any]]) -> None:
    """An `event` per envelope, in order, to these local clients (the pump of
    every process serves its own)."""
    try:
        broadcast.emit_each(socketio.server, "event", envelopes, "/", sids)
    except Exception:
        log.exception("feed: emit failed")
