"""Socket.IO: connection auth, the live feed, document sync.

The async mode is `Settings.async_mode`, set by the entry point: a serving
process (`python wsgi.py`, gunicorn with workspace.gunicorn_worker) patches
the standard library for gevent first and runs one greenlet per connection
(workspace/cooperative.py, workspace/server.py); operator commands, workers
and the tests' in-process servers run `threading`. The service layer is the
same blocking code in both: under gevent its socket waits (psycopg, redis-py,
SMTP, webhooks) yield to the hub.

Under gevent, WebSocket frames are read and written by gevent-websocket
(python-engineio uses it whenever it is installed; the server must then be
gevent's WSGI server with its handler, which workspace/server.py provides);
under threading by simple-websocket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from workspace.config import Settings
from workspace.house import SOCKET_EVENT, house_of

socketio = SocketIO()


def on(event: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Socket.IO handler with its event. Unlike `socketio.on` it registers
    nothing: a capability declares the module (`house.socket`), and every
    `init_realtime` puts that app's handlers on the shared SocketIO object, so
    each app (tests build many) gets all, once."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, SOCKET_EVENT, event)
        return func

    return decorator


def init_realtime(app: Flask, settings: Settings) -> None:
    """Socket.IO on the app; the feed pump is started by workspace.serving,
    only in processes that serve."""
    from realtime import broadcast
    from realtime.message_queue import ResyncingRedisManager, serialise_binary_sends

    # Room emits encode once and, under gevent, write the same WebSocket
    # bytes to each recipient (realtime/broadcast.py).
    manager: broadcast.FanOutManager = broadcast.FanOutManager()
    if settings.redis_url:
        # Our own Redis manager: after Redis comes back it re-sends each local
        # document room what was stored meanwhile (realtime/message_queue.py).
        from realtime.documents import resync_rooms

        manager = ResyncingRedisManager(
            settings.redis_url,
            channel=f"{settings.redis_namespace}-socketio",
            on_subscribed=lambda: resync_rooms(app),
        )
    socketio.init_app(
        app,
        async_mode=settings.async_mode,
        # Always given: the SocketIO object is shared by every app a test
        # process builds, and keeps the options it was given.
        client_manager=manager,
        message_queue=None,
        # None: engineio accepts the origin that matches the Host header (same
        # origin), which is right behind a proxy that forwards Host.
        cors_allowed_origins=None,
        max_http_buffer_size=settings.max_message_bytes,
        ping_interval=20,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )
    serialise_binary_sends(socketio.server)
    broadcast.install(socketio.server)
    app.wsgi_app = _without_websocket_compression(app.wsgi_app)  # type: ignore[method-assign]
    house = house_of(app)
    for module in house.socket_modules:
        # Per-process connection state starts empty with each app: a previous
        # app in this process (tests build many) may have been torn down
        # without its clients' disconnect handlers ever running.
        reset = getattr(module, "reset_state", None)
        if reset is not None:
            reset()
    for event, func in house.socket_handlers:
        socketio.on_event(event, func)


def _without_websocket_compression(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    """Decline permessage-deflate by hiding the client's offer.

    simple-websocket (the threading mode's WebSocket server) accepts the
    extension whenever a client offers it, and has no switch (gevent-websocket,
    under gevent, never accepts it). Compressing each
    small frame once per client was a third of the feed's fan-out CPU
    (bench/dashboard). Node's ws and socket.io leave it off by default for the
    same reason; our frames are small JSON events and Yjs updates.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app
