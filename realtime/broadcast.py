"""Room emits encoded once and written as the same WebSocket bytes to every
recipient (issue 14, "Live at scale").

python-socketio's manager sends a room event by queueing Engine.IO packets on
each recipient's queue; each client's writer greenlet then wakes, encodes the
packets again and writes one WebSocket frame per packet (a binary event is a
header frame and one frame per attachment). At 100-500 clients per document
that is one wake-up, two encodes and two `sendall`s per recipient per edit.
Node's engine.io builds the frames once and writes the same buffer to every
socket; this does the same under gevent with gevent-websocket:

- the Socket.IO packet and its WebSocket frames (geventwebsocket's header
  encoding, unmasked, as a server sends) are built once per emit;
- each recipient gets them with one non-blocking `send` from the emitting
  greenlet: no queue, no wake-up of its writer.

A socket has one writer: engine.io's writer greenlet (pings, acks, anything
queued). Bytes written directly must never land inside a frame that writer is
writing, nor overtake a packet queued before them. Under gevent nothing runs
between two points of a greenlet that do not yield, so a direct write is safe
exactly when the client's queue is empty and its writer is not inside a
write (it can only be suspended in `sendall` of a frame it has begun, which
`_Lane.busy` marks). Otherwise, and when the kernel takes only part of the
bytes (a slow reader), the (rest of the) bytes go on the client's queue as
one pre-framed packet that its writer writes as-is: later sends queue behind
it, so order holds and a frame is never split.

Only WebSocket clients served by gevent-websocket get this; a client on
long-polling, one in the middle of its upgrade, and every client under the
`threading` mode (the tests' in-process servers; simple-websocket) get the
normal per-client path, as do emits with a callback.
"""

from __future__ import annotations

import threading
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

ATTR = "jointlab_lane"
# On the per-client path two threads must not interleave their packets on one
# client's queue: a binary event is several Engine.IO packets, and anything
# queued between them is taken for an attachment (see
# realtime/message_queue.py). The direct path writes all frames at once.
SEND_LOCK = threading.RLock()


class _Lane:
    """What the fan-out needs to write to one Engine.IO WebSocket."""

    __slots__ = ("busy", "ws")

    def __init__(self, ws: Any) -> None:
        self.ws = ws  # geventwebsocket.websocket.WebSocket
        self.busy = 0  # > 0 while the writer greenlet is inside a frame write


class _Framed(bytes):
    """Ready WebSocket frame bytes; the WebSocket wrapper writes them as they are."""


class _FramedPacket:
    """Sits on an Engine.IO socket's queue like a packet; its writer calls
    `encode()` and hands the result to the WebSocket wrapper's `send`.
    `messages`: how many packets' frames it holds (`waiting` counts them)."""

    __slots__ = ("frames", "messages")
    packet_type = eio_packet.MESSAGE

    def __init__(self, frames: bytes, messages: int) -> None:
        self.frames = _Framed(frames)
        self.messages = messages

    def encode(self, b64: bool = False) -> bytes:
        return self.frames


def _tracked_websocket_class(base: type) -> type:
    class TrackedWebSocket(base):  # type: ignore[misc,valid-type]
        """python-engineio's gevent-websocket adapter, which also leaves the
        WebSocket on its Engine.IO socket (the handler it runs is a bound
        method of that socket) and marks the writer's frame writes."""

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            self.lane = _Lane(environ.get("wsgi.websocket"))
            eio_socket = getattr(self.app, "__self__", None)
            if eio_socket is not None and self.lane.ws is not None:
                setattr(eio_socket, ATTR, self.lane)
            return super().__call__(environ, start_response)

        def send(self, message: Any) -> Any:
            lane = self.lane
            lane.busy += 1
            try:
                if type(message) is _Framed:
                    if self._sock.closed:
                        raise OSError("WebSocket closed")
                    return self._sock.raw_write(message)
                return self._sock.send(message)
            finally:
                lane.busy -= 1

    return TrackedWebSocket


def install(server: socketio.Server) -> None:
    """Turn the fan-out on for this server when it runs gevent-websocket."""
    eio = server.eio
    if eio.async_mode != "gevent":
        return
    # local: gevent only in a process that serves under it (cooperative.py).
    from engineio.async_drivers import gevent as gevent_driver

    if gevent_driver.SimpleWebSocketWSGI is not None:  # pragma: no cover - not our setup
        return
    from gevent.monkey import get_original  # local: gevent only when serving under it

    # A copy: the driver's dict is shared by every engineio server of the process.
    eio._async = dict(eio._async, websocket=_tracked_websocket_class(gevent_driver.WebSocketWSGI))
    # The reasoning above holds among greenlets of the hub's thread; an emit
    # from a real thread (gevent's thread pool) takes the normal path.
    native_ident = get_original("_thread", "get_ident")
    hub_thread = native_ident()
    server.jointlab_fanout = lambda: native_ident() == hub_thread


def _frames(payloads: list[str | bytes]) -> bytes:
    """The WebSocket frames of Engine.IO message packets, as engine.io's
    writer and gevent-websocket would build them one by one."""
    # local: gevent only in a process that serves under it (cooperative.py).
    from geventwebsocket.websocket import Header, WebSocket

    out = []
    for payload in payloads:
        if isinstance(payload, str):
            data, opcode = ("4" + payload).encode("utf-8"), WebSocket.OPCODE_TEXT
        else:
            data, opcode = bytes(payload), WebSocket.OPCODE_BINARY
        out.append(bytes(Header.encode_header(True, opcode, b"", len(data), 0)))
        out.append(data)
    return b"".join(out)


def waiting(eio_socket: Any) -> int:
    """Messages queued for a client's writer: one per packet, and each
    packet's worth of pre-framed bytes (several, when emitted together)."""
    queue = eio_socket.queue
    n = queue.qsize()
    if n:
        n += sum(getattr(p, "messages", 1) - 1 for p in list(getattr(queue, "queue", ())))
    return n


def _write(eio_socket: Any, lane: _Lane, frames: bytes, messages: int) -> bool:
    """Give one recipient the frames; False: it needs the normal path."""
    if (
        not eio_socket.upgraded
        or eio_socket.upgrading
        or eio_socket.closing
        or eio_socket.closed
        or lane.ws.closed
    ):
        return False
    try:
        if not eio_socket.check_ping_timeout():
            return True  # it just closed, as Socket.send would have found
    except Exception:
        return True
    if lane.busy or not eio_socket.queue.empty():
        eio_socket.queue.put(_FramedPacket(frames, messages))
        return True
    try:
        sent = lane.ws.handler.socket.send(frames, 0, 0.0)
    except BlockingIOError:
        sent = 0
    except (OSError, AttributeError):
        return False  # gone: the normal path lets its writer find out
    if sent < len(frames):
        eio_socket.queue.put(_FramedPacket(frames[sent:], messages))
    return True


class FanOutManager(socketio.Manager):
    """The manager's local room emit, with the path above for every recipient
    it can take. Used as is without Redis; with Redis, ResyncingRedisManager
    puts it under PubSubManager, whose receiving side (`_handle_emit`) then
    emits each process's local room through it."""

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        room = to or room
        if callback is not None or not self.direct(namespace):
            with SEND_LOCK:
                return super().emit(
                    event,
                    data,
                    namespace,
                    room=room,
                    skip_sid=skip_sid,
                    callback=callback,
                    **kwargs,
                )
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        self.fan_out(event, [args], namespace, room, skip)
        return None

    def direct(self, namespace: str) -> bool:
        """May this emit take the path above (gevent-websocket, the hub)?"""
        on_hub = getattr(self.server, "jointlab_fanout", None)
        return namespace in self.rooms and on_hub is not None and on_hub()

    def fan_out(
        self,
        event: str,
        arguments: list[list[Any]],
        namespace: str,
        room: Any,
        skip: set[Any] | None = None,
    ) -> None:
        """`event` once per item of `arguments`, in order, to the room's
        local participants: each encoded once, and all of them written to a
        recipient at once."""
        payloads: list[str | bytes] = []
        for args in arguments:
            encoded = self.server.packet_class(
                sio_packet.EVENT, namespace=namespace, data=[event, *args]
            ).encode()
            payloads.extend(encoded if isinstance(encoded, list) else [encoded])
        frames = b""
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            if skip and sid in skip:
                continue
            eio_socket = sockets.get(eio_sid)
            lane = getattr(eio_socket, ATTR, None)
            if lane is not None:
                if not frames:
                    frames = _frames(payloads)
                if _write(eio_socket, lane, frames, len(payloads)):
                    continue
            # Packets of its own: an Engine.IO packet caches its first
            # encoding, raw bytes for a WebSocket, and a long-polling client
            # given the same object would get those instead of base64 (a
            # TypeError in its poll; python-socketio shares them).
            with SEND_LOCK:
                for payload in payloads:
                    self.server._send_eio_packet(
                        eio_sid, eio_packet.Packet(eio_packet.MESSAGE, payload)
                    )


def emit_each(
    server: socketio.Server, event: str, datas: list[Any], namespace: str, to: Any
) -> None:
    """`event` once per item of `datas`, in order, to the local clients `to`
    (never through the message queue): on the fan-out path each recipient
    gets all of them in one write (a transaction's events, one send each)."""
    manager = server.manager
    if isinstance(manager, FanOutManager) and manager.direct(namespace):
        manager.fan_out(event, [[data] for data in datas], namespace, to)
        return
    for data in datas:
        server.emit(event, data, namespace=namespace, to=to, ignore_queue=True)
