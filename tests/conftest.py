"""Fixtures that start the real things the tests talk to.

Backends: SQLite by default; `JOINTLAB_TEST_DATABASE=postgres` uses the
PostgreSQL at `JOINTLAB_TEST_PG` (a database of its own per test run), and
`JOINTLAB_TEST_REDIS=1` uses the Redis at `JOINTLAB_TEST_REDIS_URL` (keys and
channels under a namespace of their own per run). `tests/run` sets these.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from tests.live import (  # noqa: F401  (tests import these from here)
    LiveServer,
    SocketClients,
    browser_login,
    free_port,
    login_cookie,
    wait_for,
)
from workspace.auth import passwords as _passwords
from workspace.config import load_settings

PG_ADMIN_URL = os.environ.get(
    "JOINTLAB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
USE_PG = os.environ.get("JOINTLAB_TEST_DATABASE", "sqlite") == "postgres"
USE_REDIS = os.environ.get("JOINTLAB_TEST_REDIS") == "1"
REDIS_URL = os.environ.get("JOINTLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
CHROMIUM = os.environ.get("JOINTLAB_CHROMIUM", "/usr/bin/chromium")

# The fault runs (tests/faults: killed processes, a restarted Redis, a cut
# database; a few minutes) are not part of the default suite; `bash
# tests/faults/run` sets JOINTLAB_FAULTS=1 and runs them on PostgreSQL + Redis.
collect_ignore = [] if os.environ.get("JOINTLAB_FAULTS") == "1" else ["faults"]

# A Socket.IO client's thread may log once more after its test ended and the
# test's captured stream closed; that is not a failure worth a traceback.
logging.raiseExceptions = False

# Argon2id at its production cost (64 MiB, 3 passes) is ~0.1-0.5 s a call here,
# and the factories hash a password for every user they make (three a
# workspace): minutes of a run. In the test processes it runs at a cost of
# 1 MiB and 1 pass: still Argon2id through the same code, and a hash records
# its parameters, so a served `python wsgi.py` verifies these hashes too (the
# servers themselves keep the production cost).
# A test about the cost itself asks for `production_password_cost`. (The hasher
# is module state of workspace/auth/passwords.py; replacing it here keeps the
# product free of a cost switch someone could leave on.)
_PRODUCTION_HASHER = _passwords._hasher
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_passwords._hasher = _CHEAP_HASHER
_passwords._DUMMY_HASH = _CHEAP_HASHER.hash("jointlab-timing-equaliser")


@pytest.fixture
def production_password_cost() -> Iterator[None]:
    """Passwords hashed during the test cost what they cost in production."""
    _passwords._hasher = _PRODUCTION_HASHER
    yield
    _passwords._hasher = _CHEAP_HASHER


# --------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database made once per run."""
    from workspace.migrations import upgrade

    if USE_PG:
        name = f"jl_test_{RUN_ID}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit waits for its WAL flush (~0.5-4 ms here) thousands of times
            # a run; what other sessions see is the same either way, and this
            # database does not outlive the run.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if USE_PG:
        _truncate_all(database_template)
        return database_template
    path = tmp_path / "jointlab.db"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    engine.dispose()


# --------------------------------------------------------------------- the app
@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Any:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    }
    if USE_REDIS:
        env["REDIS_URL"] = REDIS_URL
        env["REDIS_NAMESPACE"] = f"jltest_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    return load_settings(env).with_overrides(testing=True)


@pytest.fixture
def app(settings: Any) -> Iterator[Any]:
    from jobs.queue import jobs
    from workspace import serving
    from workspace.app import create_app
    from workspace.db import db

    application = create_app(settings)
    # As a serving process: the live feed pump runs (periodic jobs do not:
    # tests run them when they mean to).
    serving.start(application, ticker=False)
    yield application
    serving.stop(application)
    if jobs.backend is not None:
        jobs.backend.shutdown()
    redis = application.extensions.get("jointlab.redis")
    if redis is not None:
        for key in redis.scan_iter(f"*{settings.redis_namespace}*"):
            redis.delete(key)
    db.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


# --------------------------------------------------------------------- factories
class Make:
    """Builds rows through the services, so events and rules apply as in life."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def org(self, kind: str = "enterprise", name: str | None = None) -> Any:
        from workspace.db import db
        from workspace.organizations.models import Organization

        with db.transaction() as s:
            org = Organization(name=name or f"{kind.title()} {self._next()}", kind=kind)
            s.add(org)
            s.flush()
            return org

    def user(
        self,
        role: str = "member",
        org: Any = None,
        side: str | None = None,
        name: str | None = None,
        locale: str = "en",
        email: str | None = None,
        password: str = "correct horse battery",
    ) -> Any:
        from workspace.auth.service import create_user
        from workspace.db import db

        if org is None and side is not None:
            org = self.org(side)
        n = self._next()
        with db.transaction() as s:
            user = create_user(
                s,
                email=email or f"user{n}_{uuid.uuid4().hex[:4]}@example.test",
                name=name or f"User {n}",
                password=password,
                role=role,
                organization_id=org.id if org is not None else None,
                locale=locale,
            )
        user.password = password  # for login tests
        return user

    def admin(self) -> Any:
        return self.user(role="admin", name="Admin")

    def manager(self, name: str = "Program Manager") -> Any:
        return self.user(role="manager", name=name)

    def workspace(
        self, owner: Any = None, title: str | None = None, members: dict[str, Any] | None = None
    ) -> Any:
        """A workspace with an enterprise owner (and a university owner).

        Returns the workspace; `.owner`, `.partner` and `.manager` are attached.
        """
        from workspace.db import db
        from workspace.organizations.models import Organization
        from workspace.spaces import service

        manager = self.manager()
        enterprise = None
        if owner is not None and owner.organization_id is not None:
            with db.reading() as s:
                found = s.get(Organization, owner.organization_id)
            enterprise = found if found is not None and found.kind == "enterprise" else None
        enterprise = enterprise or self.org("enterprise")
        university = self.org("university")
        owner = owner or self.user(org=enterprise, name="Enterprise Lead")
        partner = self.user(org=university, name="University Lead")
        with db.transaction() as s:
            ws = service.create_workspace(
                s,
                manager,
                title=title or f"Workspace {self._next()}",
                summary="",
                enterprise_id=enterprise.id,
                university_id=university.id,
            )
            service.add_member(s, manager, ws.id, owner.id, "owner")
            service.add_member(s, manager, ws.id, partner.id, "owner")
            for role, user in (members or {}).items():
                service.add_member(s, manager, ws.id, user.id, role.rstrip("0123456789"))
        ws.owner, ws.partner, ws.manager = owner, partner, manager
        return ws

    def add_member(self, ws: Any, user: Any, role: str) -> None:
        from workspace.db import db
        from workspace.spaces import service

        with db.transaction() as s:
            service.add_member(s, ws.manager, ws.id, user.id, role)

    def token(self, user: Any, scopes: tuple[str, ...] = ("read", "write")) -> str:
        from workspace.auth.tokens import create_token
        from workspace.db import db

        with db.transaction() as s:
            _row, secret = create_token(s, user, "test", list(scopes))
        return secret


@pytest.fixture
def make(app: Any) -> Make:
    return Make()


class Api:
    """JSON calls as a given user, with a bearer token (no CSRF needed)."""

    def __init__(self, client: Any, make: Make) -> None:
        self.client, self.make = client, make
        self._tokens: dict[int, str] = {}
        self.headers: dict[str, str] = {}

    def as_(self, user: Any, scopes: tuple[str, ...] = ("read", "write")) -> Api:
        other = Api(self.client, self.make)
        key = (user.id, scopes)
        if key not in self._tokens:
            self._tokens[key] = self.make.token(user, scopes)
        other.headers = {"Authorization": f"Bearer {self._tokens[key]}"}
        other._tokens = self._tokens
        return other

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self._call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self._call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self._call("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self._call("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("DELETE", path, **kw)


@pytest.fixture
def api(client: Any, make: Make) -> Api:
    return Api(client, make)


# --------------------------------------------------------------------- live server
@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def sio(live_server: LiveServer) -> Iterator[SocketClients]:
    clients = SocketClients(live_server.url)
    yield clients
    clients.close()


# --------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; browser tests need Debian's chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def browser_context(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def new(locale: str = "en-US", timezone_id: str | None = None) -> Any:
        ctx = browser.new_context(locale=locale, timezone_id=timezone_id)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx

    yield new
    for ctx in contexts:
        ctx.close()
