"""The after-commit bus: hands committed event envelopes to subscribers.

In-process by default; with REDIS_URL each publish also goes to a Redis
channel so every web process and worker hears events committed anywhere.
Redis is only a wake-up call: a publish lost while Redis is down is made good
by the subscribers, which read the database log (the truth) from a cursor.

Besides events, the bus carries access notices (workspace/auth/notices.py):
"the rights of user N changed, re-check their open connections". They ride the
same channel; a notice lost while Redis is down is made good the same way, by
the empty batch every (re)subscribe delivers, on which notice subscribers
re-check every connection they hold.

The committing process hands its events to its own subscribers at once, so its
listener skips its own messages coming back from Redis (each message names its
origin). A subscriber that reacts only to this process's commits (the outbox
wake-up: every process wakes it for its own commits) subscribes with
`remote=False`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[list[dict[str, Any]]], None]
# Notice subscribers get a list of `{"user_id", "reason"}`; an empty list means
# "some may have been lost: re-check everything".
NoticeSubscriber = Callable[[list[dict[str, Any]]], None]
CHANNEL = "jointlab:events"


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, bool]] = []
        self._notice_subscribers: list[NoticeSubscriber] = []
        self._redis: Any = None
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.channel = CHANNEL
        self.origin = uuid.uuid4().hex

    def subscribe(self, subscriber: Subscriber, remote: bool = True) -> None:
        """`remote`: also hear events committed by other processes."""
        if all(s is not subscriber for s, _remote in self._subscribers):
            self._subscribers.append((subscriber, remote))

    def subscribe_notices(self, subscriber: NoticeSubscriber) -> None:
        if all(s is not subscriber for s in self._notice_subscribers):
            self._notice_subscribers.append(subscriber)

    def reset(self) -> None:
        self.stop()
        self._subscribers.clear()
        self._notice_subscribers.clear()
        self._redis = None

    def use_redis(self, redis_client: Any, channel: str = CHANNEL) -> None:
        self._redis = redis_client
        self.channel = channel

    def publish(self, envelopes: list[dict[str, Any]]) -> None:
        """Called after commit; must never raise into the request that committed."""
        if self._redis is not None:
            try:
                self._redis.publish(
                    self.channel, json.dumps({"origin": self.origin, "events": envelopes})
                )
            except Exception:  # Redis down: subscribers catch up from the log
                log.warning("event bus: Redis publish failed; relying on log catch-up")
        self._deliver(envelopes, remote=False)

    def publish_notices(self, notices: list[dict[str, Any]]) -> None:
        """Called after commit, like `publish`; never raises."""
        if self._redis is not None:
            try:
                self._redis.publish(
                    self.channel, json.dumps({"origin": self.origin, "notices": notices})
                )
            except Exception:  # Redis down: the re-subscribe re-checks everything
                log.warning("event bus: Redis publish of access notices failed")
        self._deliver_notices(notices)

    def _deliver_notices(self, notices: list[dict[str, Any]]) -> None:
        for subscriber in list(self._notice_subscribers):
            try:
                subscriber(notices)
            except Exception:
                log.exception("access notice subscriber %r failed", subscriber)

    def _deliver(self, envelopes: list[dict[str, Any]], remote: bool) -> None:
        for subscriber, wants_remote in list(self._subscribers):
            if remote and not wants_remote:
                continue
            try:
                subscriber(envelopes)
            except Exception:
                log.exception("event bus subscriber %r failed", subscriber)

    def start_listener(self) -> None:
        """Listen on Redis for events committed by other processes."""
        if self._redis is None or self._listener is not None:
            return
        # A fresh stop flag per listener: a stopped one may still be finishing
        # its last poll and must not be revived by this start.
        self._stop = stop = threading.Event()
        self._listener = threading.Thread(
            target=self._listen, args=(self._redis, stop), name="event-bus", daemon=True
        )
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        self._listener = None

    def _listen(self, redis_client: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            pubsub = None
            try:
                pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                # A (re)subscribe may have missed publishes: tell subscribers
                # to catch up from the log with an empty batch.
                self._deliver([], remote=True)
                self._deliver_notices([])
                while not stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        self._on_message(json.loads(message["data"]))
            except Exception:
                log.warning("event bus: Redis listener lost; reconnecting")
                stop.wait(1.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()

    def _on_message(self, data: Any) -> None:
        if isinstance(data, dict):
            if data.get("origin") == self.origin:
                return  # delivered here when it was committed
            if "notices" in data:
                self._deliver_notices(data.get("notices") or [])
                return
            data = data.get("events") or []
        self._deliver(data, remote=True)


bus = EventBus()
