"""gunicorn's worker class for JointLab: `gunicorn -k workspace.gunicorn_worker.Worker
-w 1 wsgi:app`. gunicorn's gevent worker (it patches the standard library
before it imports `wsgi`, so the app is built in gevent mode), with the
handler `python wsgi.py` uses (workspace/server.py: WebSocket, TCP_NODELAY,
bounded frames) and its graceful stop: on SIGTERM every Socket.IO client is
told to reconnect elsewhere before the worker waits for its connections.
"""

from __future__ import annotations

from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

from workspace.server import Handler, close_clients

SERVERS: list[Any] = []


class GunicornHandler(Handler):
    def log_request(self) -> None:
        if "101" not in str(self.status):  # gunicorn's access log, when turned on
            PyWSGIHandler.log_request(self)

    def get_environ(self) -> Any:
        env = super().get_environ()
        env["gunicorn.sock"] = self.socket
        env["RAW_URI"] = self.path
        return env


class Server(PyWSGIServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        SERVERS.append(self)


class Worker(GeventPyWSGIWorker):
    server_class = Server
    wsgi_handler = GunicornHandler

    def init_process(self) -> None:
        if self.cfg.preload_app:
            # The app would be built (and psycopg imported) in the master,
            # before this worker patches the standard library.
            raise SystemExit("JointLab's gunicorn worker cannot run with --preload")
        super().init_process()

    def handle_exit(self, sig: Any, frame: Any) -> None:
        # SIGTERM: gunicorn stops accepting and waits for open connections;
        # WebSockets never end by themselves, so tell their clients to go.
        if self.alive:
            gevent.spawn(_stop_and_close, list(SERVERS))
        super().handle_exit(sig, frame)


def _stop_and_close(servers: list[Any]) -> None:
    # Stop accepting first (gunicorn would only a second later): a client
    # reconnecting at once must reach another worker, not this one again.
    for server in servers:
        server.close()
    close_clients(servers, 2.0)
