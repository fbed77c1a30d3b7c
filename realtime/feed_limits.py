"""What one connection and one user may ask of the feed.

A subscription costs memory for as long as it lives and a replay costs a
read of the log and a packet per event, so both are bounded (per process;
each process serves and pays for its own connections):
- a re-subscribe to the same scope (the same `workspace_id`, or none)
  replaces the previous subscription and stops its replay;
- at most MAX_SUBSCRIPTIONS_PER_CONNECTION scopes per connection and
  MAX_SUBSCRIPTIONS_PER_USER over all of a user's connections;
- a subscribe with `after` replays history: at most MAX_REPLAYS_RUNNING of a
  user's at once, MAX_REPLAYS_PER_MINUTE started per user in any minute, and
  MAX_REPLAYS_IN_PROCESS at once in all;
- a replay reads BATCH events at a time and sends them no faster than the
  client takes them (at most REPLAY_BACKLOG packets waiting), so it holds a
  bounded amount of memory however long the history.
Over a limit, the subscribe is answered `{ok: false}` with code
`too_many_subscriptions` or `too_many_replays` and nothing else changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from realtime import broadcast, socketio
from workspace.errors import RateLimited

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
MAX_SUBSCRIPTIONS_PER_USER = 200
MAX_REPLAYS_RUNNING = 2
MAX_REPLAYS_PER_MINUTE = 30
MAX_REPLAYS_IN_PROCESS = 8
REPLAY_BACKLOG = 256
# A replay waiting this long for a client to take packets gives up on it.
REPLAY_STALL_SECONDS = 30.0


def check_subscriptions(on_connection: int, of_user: int) -> None:
    """Counts before the new subscription (a replaced one is not counted)."""
    if on_connection >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
        raise RateLimited(
            f"A connection may hold {MAX_SUBSCRIPTIONS_PER_CONNECTION} feed subscriptions; "
            "subscribing again to the same workspace (or to all) replaces the earlier one.",
            code="too_many_subscriptions",
        )
    if of_user >= MAX_SUBSCRIPTIONS_PER_USER:
        raise RateLimited(
            f"You hold {MAX_SUBSCRIPTIONS_PER_USER} feed subscriptions over your connections; "
            "close some first.",
            code="too_many_subscriptions",
        )


class ReplayBudget:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, int] = {}
        self._started: dict[int, deque[float]] = {}
        self.slots = threading.BoundedSemaphore(MAX_REPLAYS_IN_PROCESS)

    def acquire(self, user_id: int) -> None:
        """Count a replay about to start, or refuse it."""
        now = time.monotonic()
        with self._lock:
            started = self._started.setdefault(user_id, deque())
            while started and started[0] <= now - 60:
                started.popleft()
            if self._running.get(user_id, 0) >= MAX_REPLAYS_RUNNING:
                raise RateLimited(
                    f"At most {MAX_REPLAYS_RUNNING} of your feed replays run at once; "
                    "wait for one to finish.",
                    code="too_many_replays",
                )
            if len(started) >= MAX_REPLAYS_PER_MINUTE:
                raise RateLimited(
                    f"At most {MAX_REPLAYS_PER_MINUTE} feed replays a minute; subscribe "
                    "without `after` for live events only, or wait.",
                    code="too_many_replays",
                )
            started.append(now)
            self._running[user_id] = self._running.get(user_id, 0) + 1

    def release(self, user_id: int) -> None:
        with self._lock:
            left = self._running.get(user_id, 0) - 1
            if left > 0:
                self._running[user_id] = left
            else:
                self._running.pop(user_id, None)
                if not self._started.get(user_id):
                    self._started.pop(user_id, None)

    def running(self) -> int:
        with self._lock:
            return sum(self._running.values())

    def reset(self) -> None:
        with self._lock:
            self._running.clear()
            self._started.clear()


budget = ReplayBudget()


def backlog(sid: str) -> int | None:
    """Messages waiting for this local client (a run of pre-framed events
    counts as its events); None when it is gone."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    eio_socket = server.eio.sockets.get(eio_sid) if eio_sid else None
    return None if eio_socket is None else broadcast.waiting(eio_socket)


def paced(sid: str) -> bool:
    """Wait until the client has taken most of what it was sent; False when
    it is gone, or took nothing for REPLAY_STALL_SECONDS (then it is dropped,
    and resumes from its cursor when it reconnects)."""
    deadline = time.monotonic() + REPLAY_STALL_SECONDS
    while True:
        try:
            waiting = backlog(sid)
        except Exception:
            log.exception("feed: checking client %s failed", sid)
            return False
        if waiting is None:
            return False
        if waiting <= REPLAY_BACKLOG:
            return True
        if time.monotonic() > deadline:
            log.warning("feed: dropping client %s, stalled during a replay", sid)
            socketio.server.disconnect(sid, ignore_queue=True)
            return False
        time.sleep(0.02)
