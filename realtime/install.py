"""Socket.IO on an app (`init_realtime`, called by the factory): the client
manager, the options, and every capability's handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from realtime import broadcast, socketio
from realtime.documents import resync_rooms
from realtime.message_queue import ResyncingRedisManager, serialise_binary_sends
from workspace.config import Settings
from workspace.house import house_of


def init_realtime(app: Flask, settings: Settings) -> None:
    """Socket.IO on the app; the feed pump is started by workspace.serving,
    only in processes that serve."""
    # Room emits encode once and, under gevent, write the same WebSocket
    # bytes to each recipient (realtime/broadcast.py).
    manager: broadcast.FanOutManager = broadcast.FanOutManager()
    if settings.redis_url:
        # Our own Redis manager: after Redis comes back it re-sends each local
        # document room what was stored meanwhile (realtime/message_queue.py).
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
