"""The Socket.IO message queue (Redis) between web processes, made to
survive a Redis restart without losing document edits, and binary frames
made to leave in one piece.

Relays of `doc:update` between processes ride Redis pub/sub, which keeps
nothing: what is published while Redis restarts, or while a process is not
subscribed, is gone. python-socketio's RedisManager also resubscribes
silently (redis-py reconnects a pub/sub connection on its own) or after a
backoff of up to 60 s, so a process can miss relays without ever knowing.
Measured with tests/faults/test_redis_restart.py: after a 2 s restart,
editors on one process never again saw the edits made on the other.

`ResyncingRedisManager` listens on a connection that does not reconnect on
its own, retries within a second or two, and after every (re)subscribe
calls `on_subscribed`: realtime/documents.py then sends each local document
room the state stored meanwhile (Yjs updates are idempotent, so clients
that had it lose nothing; those that missed a relay catch up).

Binary events (a Yjs update, a join answer) are several Engine.IO packets:
a header, then one per attachment. Two threads sending binary to the same
client (a relay from the queue's thread and an ack from the client's own
handler, or the resync above) could interleave them, and the client then
decodes the wrong attachment or none. A one-packet send (a text ack, a feed
event) queued between a header and its attachment is as bad: the client takes
the text for the attachment (seen: a peer's `doc:update` carrying a str).
`serialise_binary_sends` therefore puts every send to one client under one
lock; a send only queues packets, so the lock is held for microseconds. Room
emits under gevent mostly skip the queues (realtime/broadcast.py) and need no
lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import socketio
from redis.backoff import NoBackoff
from redis.retry import Retry

from realtime.broadcast import SEND_LOCK, FanOutManager

log = logging.getLogger(__name__)

# Waits between attempts to resubscribe after Redis went away.
RETRY_FIRST, RETRY_MAX = 0.2, 2.0


class ResyncingRedisManager(socketio.RedisManager, FanOutManager):
    # MRO: RedisManager, PubSubManager, FanOutManager, Manager: the
    # publishing `emit` is PubSubManager's; the local one it and the
    # receiving side call is FanOutManager's (realtime/broadcast.py), which
    # also holds SEND_LOCK where it sends per client.

    def __init__(
        self, url: str, channel: str, on_subscribed: Callable[[], None] | None = None
    ) -> None:
        # No silent reconnect: a lost connection must reach our loop below,
        # which knows that a resubscribe needs a resync.
        super().__init__(
            url,
            channel=channel,
            redis_options={"retry": Retry(NoBackoff(), 0), "health_check_interval": 5},
        )
        self.on_subscribed = on_subscribed
        self._together = threading.local()  # a greenlet's own under gevent

    @contextlib.contextmanager
    def publishing_together(self) -> Iterator[None]:
        """Messages published inside (a co-editing batch's relays, one per
        document) leave in one Redis pipeline at the end: one round trip
        instead of one each. Local recipients still get theirs at once."""
        if getattr(self._together, "messages", None) is not None:
            yield  # nested: the outer one publishes
            return
        messages: list[dict[str, Any]] = []
        self._together.messages = messages
        try:
            yield
        finally:
            self._together.messages = None
            if messages:
                self._publish_all(messages)

    def _publish(self, data: dict[str, Any]) -> Any:
        messages = getattr(self._together, "messages", None)
        if messages is not None:
            messages.append(data)
            return None
        return super()._publish(data)

    def _publish_all(self, messages: list[dict[str, Any]]) -> None:
        # Two attempts, as RedisManager._publish makes for one message; a
        # relay lost with Redis is made good by the resync after resubscribe.
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                pipeline = self.redis.pipeline(transaction=False)
                for data in messages:
                    pipeline.publish(self.channel, self.json.dumps(data))
                pipeline.execute()
                return
            except Exception as err:
                self.connected = False
                if attempt == 2:
                    log.error("Socket.IO message queue: cannot publish to Redis (%s)", err)

    def _redis_listen_with_retries(self) -> Iterator[dict[str, Any]]:  # pragma: no cover - I/O
        wait, said = RETRY_FIRST, False
        while True:
            pubsub = None
            try:
                self._redis_connect()
                pubsub = self.pubsub
                pubsub.subscribe(self.channel)
                if said:
                    log.warning("Socket.IO message queue: Redis is back; resyncing documents")
                wait, said = RETRY_FIRST, False
                if self.on_subscribed is not None:
                    threading.Thread(
                        target=self._resync, name="socketio-resync", daemon=True
                    ).start()
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        yield message
            except Exception as err:
                if not said:  # once per outage, not once per retry
                    log.warning(
                        "Socket.IO message queue: Redis lost (%s); resubscribing",
                        str(err).splitlines()[0] if str(err) else type(err).__name__,
                    )
                    said = True
                time.sleep(wait)
                wait = min(wait * 2, RETRY_MAX)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # already broken
                        pubsub.close()

    def _resync(self) -> None:
        try:
            self.on_subscribed()  # type: ignore[misc]
        except Exception:
            log.exception("Socket.IO message queue: resync after resubscribe failed")


def serialise_binary_sends(server: socketio.Server) -> None:
    """Make each send to a client atomic (no packet between a header and its
    attachments); see above."""
    send_packet = server._send_packet

    def locked_send_packet(eio_sid: str, pkt: Any) -> None:
        with SEND_LOCK:
            return send_packet(eio_sid, pkt)

    server._send_packet = locked_send_packet  # type: ignore[method-assign]
    manager = server.manager
    if not isinstance(manager, FanOutManager):
        # Another manager emits locally in `emit` itself; ours lock per client.
        emit = manager.emit

        def locked_emit(event: str, data: Any, *args: Any, **kwargs: Any) -> Any:
            with SEND_LOCK:
                return emit(event, data, *args, **kwargs)

        manager.emit = locked_emit  # type: ignore[method-assign]
