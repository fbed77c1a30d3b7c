"""What a process that serves the app runs besides answering requests.

Building the app (`create_app`) reads no table and starts no thread, so every
operator command (`flask --app wsgi db upgrade`, `create-admin`, `scheduler
run-once`, `worker`...) works against a database that is empty or behind,
and leaves nothing running when it ends. A serving process starts, once:

- the live feed pump (with the Redis bus listener through which it hears what
  other processes commit): it reads the event log;
- the sealing of webhook secrets that earlier versions stored in clear;
- with `python wsgi.py` and no `REDIS_URL` (the embedded default), the
  periodic-job ticker (with Redis the workers tick).

`python wsgi.py` and the test fixtures call `start` before serving. Any other
server of `wsgi:app` (gunicorn, `flask run`) starts the live feed with the
first request it hands over: that request runs in the serving process itself,
after any fork, where threads must live.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from jobs.schedule import Ticker
from realtime import guard
from realtime.feed import pump
from workspace.config import settings_of
from workspace.db import db
from workspace.webhooks import stored_secrets

log = logging.getLogger(__name__)

# A failed start (the database unreachable) is tried again by a later request,
# at most this often.
RETRY_SECONDS = 5.0


class Serving:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = False
        self.ticker: Any = None
        self.last_try = 0.0


def _state(app: Flask) -> Serving:
    return app.extensions.setdefault("jointlab.serving", Serving())


def start(app: Flask, *, ticker: bool | None = None) -> None:
    """Start the serving machinery (idempotent). `ticker`: run periodic jobs
    here; by default when there is no Redis (the embedded default)."""
    state = _state(app)
    with state.lock:
        if state.started:
            return
        state.last_try = time.monotonic()
        settings = settings_of(app)
        with app.app_context():
            with db.transaction() as s:
                stored_secrets.seal_legacy(s)
            pump.start(app, guard.recheck_user, guard.on_notices)
        if ticker if ticker is not None else not settings.redis_url:
            state.ticker = Ticker()
            state.ticker.start()
        state.started = True


def stop(app: Flask) -> None:
    state = _state(app)
    with state.lock:
        pump.stop()
        if state.ticker is not None:
            state.ticker.stop()
            state.ticker = None
        state.started = False


def is_serving(app: Flask) -> bool:
    return _state(app).started


def start_with_first_request(app: Flask) -> None:
    """Wrap the WSGI app so the first request a server hands over starts the
    machinery; commands that never serve never start it."""
    state = _state(app)
    inner: Callable[..., Any] = app.wsgi_app

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not state.started and time.monotonic() - state.last_try >= RETRY_SECONDS:
            try:
                # Periodic jobs belong to `python wsgi.py` or the workers; a
                # second ticker here would run them twice.
                start(app, ticker=False)
            except Exception:
                # The request is still answered (a health check says what is
                # wrong); a later one tries again.
                log.exception("could not start the live feed and periodic jobs; retrying")
        return inner(environ, start_response)

    state.last_try = -RETRY_SECONDS
    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
