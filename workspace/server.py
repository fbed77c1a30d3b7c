"""The web server of `python wsgi.py`: gevent's WSGI server with WebSocket
support (gevent-websocket), one greenlet per connection.

- Every accepted socket gets TCP_NODELAY: our frames are small, and Nagle
  would hold each one back until the previous one is acknowledged.
- WebSocket frames larger than the Socket.IO message limit are refused before
  they are read (gevent-websocket would allocate whatever length a client
  claims), and text frames are checked as UTF-8 by the C decoder alone
  (gevent-websocket's own check is pure Python, twice per message: ~0.8 s per
  MB during which no other connection of the process is served).
- SIGTERM (or SIGINT) shuts down gracefully: stop accepting, close every
  WebSocket with 1001 "going away" (long-polling clients get Engine.IO's close
  packet), so Socket.IO clients reconnect, through the load balancer, to
  another process; give the handlers a moment to finish, stop the feed pump
  and ticker, exit. Within SHUTDOWN_SECONDS.
- The request log goes through `logging` ("jointlab.access"), so the redaction
  of tokens in URLs (workspace/security/logs.py) applies to it.

gunicorn uses the same handler: workspace/gunicorn_worker.py.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import struct
import sys
from typing import Any

import gevent
from gevent import pywsgi
from gevent.event import Event
from gevent.pool import Group, Pool
from geventwebsocket.exceptions import FrameTooLargeException, WebSocketError
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import WebSocket

from realtime import socketio

log = logging.getLogger(__name__)
access_log = logging.getLogger("jointlab.access")

# Room for the Engine.IO/Socket.IO framing around a message of the largest
# size Socket.IO accepts (Settings.max_message_bytes).
FRAME_OVERHEAD = 64 * 1024
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
SHUTDOWN_SECONDS = 5.0
GOING_AWAY = 1001


def nodelay(sock: Any) -> None:
    # Not TCP (a Unix socket behind a proxy): nothing to set.
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _BoundedWebSocket(WebSocket):
    """gevent-websocket's WebSocket, with its pure-Python UTF-8 check left to
    the C decoder it runs right after (`_decode_bytes`: invalid text still
    closes the connection with 1007), and close frames that carry their code
    (gevent-websocket 0.10.1 drops it: 1001 "going away" went out as a
    malformed frame)."""

    __slots__ = ()

    def validate_utf8(self, payload: bytes) -> None:
        return None

    def close(self, code: int = 1000, message: bytes | str = b"") -> None:
        if self.closed:
            return
        try:
            self.send_frame(
                struct.pack("!H", code) + self._encode_bytes(message), opcode=self.OPCODE_CLOSE
            )
        except WebSocketError:
            pass  # the socket is gone: closed all the same
        finally:
            self.closed = True
            self.stream = self.raw_write = self.raw_read = self.environ = None


def _bounded(read: Any, limit: int) -> Any:
    def bounded_read(length: int) -> bytes:
        if length > limit:
            raise FrameTooLargeException(f"frame of {length} bytes; the limit is {limit}")
        return read(length)

    return bounded_read


class Handler(WebSocketHandler):
    """One connection: HTTP requests, or a WebSocket after an upgrade."""

    max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES

    def __init__(self, sock: Any, address: Any, server: Any, *args: Any, **kwargs: Any) -> None:
        nodelay(sock)
        super().__init__(sock, address, server, *args, **kwargs)

    def upgrade_connection(self) -> Any:
        result = super().upgrade_connection()
        ws = self.environ.get("wsgi.websocket")
        if ws is not None:
            # gevent-websocket builds its WebSocket inline; switching the class
            # of that object (same slots) is the one seam it offers.
            ws.__class__ = _BoundedWebSocket
            ws.raw_read = _bounded(ws.raw_read, self.max_message_bytes + FRAME_OVERHEAD)
        return result

    def read_requestline(self) -> str:
        # Waiting here is an idle keep-alive connection: a shutdown closes
        # those at once, and lets requests in flight finish.
        idle = idle_connections(self.server)
        idle.add(self)
        try:
            return super().read_requestline()
        finally:
            idle.discard(self)

    def log_request(self) -> None:
        # gevent-websocket sends request lines to a logger of its own that
        # prints nothing; ours goes through `logging` (redacted).
        if self.server.log is not None and "101" not in str(self.status):
            self.server.log.write(self.format_request())


def idle_connections(server: Any) -> set[Handler]:
    return server.__dict__.setdefault("jointlab_idle", set())


def _access_logger() -> logging.Logger:
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    return access_log


def make_server(
    app: Any, host: str, port: int, max_message_bytes: int, access_log: bool = True
) -> pywsgi.WSGIServer:
    """`access_log=False`: no request lines (benchmarks)."""
    Handler.max_message_bytes = max_message_bytes
    return pywsgi.WSGIServer(
        (host, port),
        app,
        handler_class=Handler,
        spawn=Pool(),
        backlog=1024,
        log=_access_logger() if access_log else None,
        error_log=logging.getLogger("jointlab.server"),
    )


def serve(app: Any, host: str, port: int, max_message_bytes: int, on_stop: Any = None) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    server = make_server(app, host, port, max_message_bytes)
    stopping = Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stopping.set)
    server.start()
    stopping.wait()
    shutdown(server, on_stop)


def shutdown(
    server: pywsgi.WSGIServer, on_stop: Any = None, seconds: float = SHUTDOWN_SECONDS
) -> None:
    """Stop accepting; tell every Socket.IO client to go elsewhere; stop."""
    server.close()
    close_clients([server], seconds / 2)
    if on_stop is not None:
        try:
            on_stop()
        except Exception:
            log.exception("shutdown: stopping the live machinery failed")
    server.stop(timeout=seconds / 2)


def close_clients(servers: list[Any], seconds: float) -> None:
    """Close every Socket.IO connection of this process so that its client
    reconnects (to another process, through the load balancer)."""
    closing = Group()
    # WebSockets: a close frame "going away". Engine.IO then ends the session
    # here as a transport close, and clients reconnect (python-socketio and
    # socket.io-client both do after a transport close; neither would after
    # a Socket.IO disconnect packet).
    for server in servers:
        for client in list(getattr(server, "clients", {}).values()):
            closing.spawn(_close_websocket, client.ws)
        for handler in list(idle_connections(server)):
            _shut(handler.socket)
    # Long-polling clients (not upgraded): Engine.IO's close packet ends
    # their poll; socket.io-client reconnects on it.
    eio = getattr(socketio.server, "eio", None)
    for eio_socket in list(getattr(eio, "sockets", {}).values()):
        if not eio_socket.upgraded:
            closing.spawn(eio_socket.close, wait=False)
    log.info("shutting down: closing %d connections", len(closing))
    closing.join(timeout=seconds)


def _close_websocket(ws: Any) -> None:
    sock = getattr(getattr(ws, "handler", None), "socket", None)
    with contextlib.suppress(Exception):  # already gone
        ws.close(GOING_AWAY, b"server restarting")
    # Without waiting for the client's close frame: its reader here ends
    # now, not at the next ping timeout.
    _shut(sock)


def _shut(sock: Any) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
