"""The app and the callers' sessions of the access matrix, for a whole test
module (the `app` of tests/conftest.py is per test); the seeded world is in
matrix_world.py."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REDIS_URL, RUN_ID, USE_PG, USE_REDIS, _truncate_all
from tests.foundation.access_rights import CALLERS, HUMANS, TOKENS
from tests.foundation.matrix_world import World


def start_app(database_template: str, tmp: Path) -> Any:
    """The app of tests/conftest.py's `app` fixture, for a whole module."""
    from workspace.app import create_app
    from workspace.config import load_settings

    if USE_PG:
        _truncate_all(database_template)
        url = database_template
    else:
        shutil.copy(database_template, tmp / "matrix.db")
        url = f"sqlite:///{tmp / 'matrix.db'}"
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "INSTANCE_PATH": str(tmp / "instance"),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    }
    if USE_REDIS:
        env["REDIS_URL"] = REDIS_URL
        env["REDIS_NAMESPACE"] = f"jltest_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    return create_app(load_settings(env).with_overrides(testing=True))


def stop_app(app: Any) -> None:
    from jobs.queue import jobs
    from realtime.feed import pump
    from workspace.db import db

    pump.stop()
    if jobs.backend is not None:
        jobs.backend.shutdown()
    redis = app.extensions.get("jointlab.redis")
    if redis is not None:
        namespace = app.extensions["jointlab.settings"].redis_namespace
        for key in redis.scan_iter(f"*{namespace}*"):
            redis.delete(key)
    db.dispose()


@dataclass
class Session:
    client: Any
    csrf: str
    headers: dict[str, str]


def open_session(world: World, caller: str) -> Session:
    """A browser-like client for the caller: signed in by cookie (people),
    anonymous, or a bearer header (tokens: stateless, so without a session)."""
    client = world.app.test_client()
    if caller in HUMANS and caller != "anonymous":
        return _signed_in(world, client, world.users[caller])
    if caller in TOKENS:  # stateless: no session, so no CSRF token either
        return Session(client, "", {"Authorization": f"Bearer {world.tokens[caller]}"})
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return Session(client, csrf, {})


def _signed_in(world: World, client: Any, user: Any) -> Session:
    """The session a login starts, started by the same code the login route
    runs (`start_session`) minus the password check: an Argon2 verification
    costs 0.1-0.5 s and the matrix opens ~60 sessions. Logging in itself is
    a row of the matrix."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from workspace.auth.current import start_session

    with world.app.test_request_context("/api/v1/auth/login", method="POST"):
        start_session(user)
        csrf = generate_csrf()
        started = dict(session)
    with client.session_transaction() as jar:
        jar.update(started)
        jar.permanent = True
    resp = client.get("/api/v1/me")
    assert resp.status_code == 200 and resp.get_json()["id"] == user.id, resp.get_json()
    return Session(client, csrf, {})


def fresh_session(world: World) -> int:
    """A signed-in browser of the owner's, for a caller to end."""
    from workspace.auth.sessions import start
    from workspace.db import db

    with db.transaction() as s:
        return start(s, world.users["owner"], user_agent="matrix", ip="")[0].id


def module_world(database_template: str, tmp: Path) -> Iterator[World]:
    """The body of each test module's `world` fixture (scope="module")."""
    app = start_app(database_template, tmp)
    try:
        w = World(app).seed()
        w.ids["session"] = fresh_session(w)
        w.sessions = {caller: open_session(w, caller) for caller in CALLERS}
        yield w
    finally:
        stop_app(app)
