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

from flask_socketio import SocketIO

from workspace.house import SOCKET_EVENT

socketio = SocketIO()


def on(event: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Socket.IO handler with its event. Unlike `socketio.on` it registers
    nothing: a capability declares the module (`house.socket`), and every
    `init_realtime` (realtime/install.py) puts that app's handlers on the shared
    SocketIO object, so each app (tests build many) gets all, once."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, SOCKET_EVENT, event)
        return func

    return decorator
