"""Socket.IO: connection auth, the live feed, document sync.

Async mode is `threading`, chosen on purpose: the service layer uses blocking
SQLAlchemy/psycopg and pycrdt (a native extension), which run as they are in
threads; gevent would need monkey-patching of every driver, and eventlet is
deprecated. Each connection costs a thread per transport, which the
benchmarks in bench/ measure.
"""

from __future__ import annotations

import importlib

from flask import Flask
from flask_socketio import SocketIO

from workspace.config import Settings

socketio = SocketIO()

# Modules whose handlers register on `socketio` when imported.
HANDLER_MODULES = ["realtime.connection", "realtime.feed"]


def init_realtime(app: Flask, settings: Settings) -> None:
    from realtime.feed import pump

    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=settings.redis_url,
        channel=f"{settings.redis_namespace}-socketio",
        cors_allowed_origins=[settings.public_url],
        max_http_buffer_size=settings.max_message_bytes,
        ping_interval=20,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )
    for name in HANDLER_MODULES:
        importlib.import_module(name)
    pump.start(app)
