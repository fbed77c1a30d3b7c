"""The application factory: builds everything from Settings, connects nothing
at import time."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from jobs.outbox import wake_on_events
from jobs.queue import init_jobs
from realtime.install import init_realtime
from workspace import cooperative, health, json_input, serving
from workspace import house as house_module
from workspace.auth import stateless
from workspace.auth.throttle import throttle
from workspace.bootstrap import build_house
from workspace.config import SETTINGS_KEY, Settings, load_settings, settings_of
from workspace.db import db
from workspace.errors import register_error_handlers
from workspace.events.bus import bus
from workspace.http import IdConverter, api
from workspace.i18n import init_i18n
from workspace.migrations import check_database, upgrade_if_embedded
from workspace.pages import pages
from workspace.pages import views as page_views  # noqa: F401  (registers its routes)
from workspace.security import headers, logs, proxies
from workspace.webhooks import secret_box

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def create_app(
    settings: Settings | None = None, *, migrating: bool = False, **overrides: Any
) -> Flask:
    settings = settings or load_settings()
    if overrides:
        settings = settings.with_overrides(**overrides)

    # Before anything is set up: gevent in a process that was not patched
    # first would block on every database call (README, Serving model).
    cooperative.check(settings.async_mode)
    settings.instance_path.mkdir(parents=True, exist_ok=True)

    app = Flask(
        __name__,
        static_folder="../static",
        static_url_path="/static",
        instance_path=str(settings.instance_path),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        # Cookie writes are checked per request in auth.current (bearer calls
        # need no CSRF token), so CSRFProtect only provides the token machinery.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        TESTING=settings.testing,
    )
    app.extensions[SETTINGS_KEY] = settings
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    db.configure(settings.database_url)
    check_database(settings)
    secret_box.use_key(settings.secret_key)
    # On PostgreSQL `flask db upgrade` is what brings the schema up to date,
    # so that one command cannot require it to be.
    if settings.is_sqlite or not migrating:
        upgrade_if_embedded(settings)

    csrf.init_app(app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    # Every capability plugs in here, in a visible order (workspace/bootstrap.py).
    house_module.install(app, build_house())
    _register_api(app)
    _register_pages(app)

    throttle.configure(settings.redis_url or "memory://", settings.redis_namespace)
    register_error_handlers(app)
    json_input.install(app)
    init_i18n(app)
    health.register(app)

    redis = init_jobs(app, settings)
    # Committed events reach this process's subscribers, and through Redis the
    # other processes'; `wake_on_events` wakes the outbox for those committed here.
    bus.reset()
    if redis is not None:
        bus.use_redis(redis, f"{settings.redis_namespace}:events")
    bus.subscribe(wake_on_events, remote=False)
    init_realtime(app, settings)

    logs.install()
    # Last: it wraps whatever session interface the app ended up with, and
    # the proxy fix must see each request before Socket.IO's middleware does.
    stateless.install(app)
    proxies.install(app, settings.trusted_proxies)

    # Nothing above reads a table or starts a thread: operator commands run
    # against an empty database. What serving needs starts in one place.
    serving.start_with_first_request(app)
    return app


def _register_api(app: Flask) -> None:
    # The capabilities' route modules were imported by build_house.
    app.register_blueprint(api)


def _register_pages(app: Flask) -> None:
    app.register_blueprint(pages)
    headers.install(app, settings_of(app).public_url)

    @app.teardown_request
    def _forget_user(_exc: BaseException | None) -> None:
        g.pop("user", None)
