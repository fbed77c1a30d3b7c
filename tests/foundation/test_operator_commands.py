"""The README's first deployment steps on a database that has nothing in it:
operator commands start no live machinery, serving starts it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import PG_ADMIN_URL, RUN_ID, USE_PG, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
LIVE_THREADS = {"feed-pump", "event-bus", "scheduler"}


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated: on PostgreSQL a new one made here."""
    if not USE_PG:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"jl_empty_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(settings, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTLAB_")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": settings.secret_key,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "JOINTLAB_NO_DEMO": "1",
        }
    )
    env.pop("REDIS_URL", None)
    if settings.redis_url:
        env.update({"REDIS_URL": settings.redis_url, "REDIS_NAMESPACE": settings.redis_namespace})
    env.update(extra)
    return env


# The real CLI (flask.cli.main), reporting the threads still alive when it exits.
CLI = (
    "import atexit, sys, threading\n"
    "atexit.register(lambda: print('THREADS', sorted(t.name for t in threading.enumerate())))\n"
    "from flask.cli import main\n"
    "sys.argv = ['flask', '--app', 'wsgi', *sys.argv[1:]]\n"
    "main()\n"
)


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _threads(done: subprocess.CompletedProcess) -> set[str]:
    line = next(x for x in done.stdout.splitlines() if x.startswith("THREADS"))
    return set(eval(line.split(" ", 1)[1]))  # noqa: S307 - our own printed list


def test_first_deployment_on_an_empty_database_then_serving(settings, empty_database, tmp_path):
    env = _env(settings, empty_database, tmp_path)
    upgraded = _flask(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database is up to date" in upgraded.stdout
    assert not _threads(upgraded) & LIVE_THREADS

    admin = _flask(
        env, "create-admin", "--email", "root@example.test", "--password", "a long password"
    )
    assert admin.returncode == 0, admin.stderr
    assert "root@example.test" in admin.stdout
    assert not _threads(admin) & LIVE_THREADS
    again = _flask(env, "scheduler", "run-once")
    assert again.returncode == 0, again.stderr
    assert not _threads(again) & LIVE_THREADS

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    client = socketio.Client(reconnection=False)
    try:

        def up() -> bool:
            try:
                return requests.get(url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None

        wait_for(up, timeout=60)
        assert proc.poll() is None, proc.stdout.read()
        http = requests.Session()
        login = http.post(
            f"{url}/api/v1/auth/login",
            json={"email": "root@example.test", "password": "a long password"},
            timeout=10,
        )
        assert login.status_code == 200 and login.json()["role"] == "admin"
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        # The served process runs the feed pump: a change reaches a live subscriber.
        received: list[dict] = []
        client.on("event", received.append)
        client.connect(
            url,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert client.call("feed:subscribe", {}, timeout=10)["ok"] is True
        orgs = [
            http.post(
                f"{url}/api/v1/organizations",
                json={"name": name, "kind": kind},
                headers=csrf,
                timeout=10,
            ).json()["id"]
            for name, kind in (("Works", "enterprise"), ("Tech", "university"))
        ]
        made = http.post(
            f"{url}/api/v1/workspaces",
            headers=csrf,
            timeout=10,
            json={
                "title": "First",
                "summary": "",
                "enterprise_id": orgs[0],
                "university_id": orgs[1],
            },
        )
        assert made.status_code == 201, made.text
        wait_for(lambda: any(e["type"] == "workspace.created" for e in received), timeout=15)
    finally:
        with contextlib.suppress(Exception):
            client.disconnect()
        proc.terminate()
        proc.wait(timeout=15)


def test_any_wsgi_server_starts_the_live_machinery_with_its_first_request(settings):
    """gunicorn's `wsgi:app`, `flask run`: nothing starts when the app is
    built, everything when it serves its first request."""
    import threading

    from jobs.queue import jobs
    from tests.conftest import LiveServer, Make, SocketClients
    from workspace import serving
    from workspace.app import create_app
    from workspace.db import db

    app = create_app(settings)
    server = clients = None
    try:
        assert not serving.is_serving(app)
        assert "feed-pump" not in {t.name for t in threading.enumerate()}
        make = Make()
        ws = make.workspace()
        server = LiveServer(app).start()
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        assert serving.is_serving(app)
        clients = SocketClients(server.url)
        watcher = clients.connect(token=make.token(ws.partner, ("read",)))
        assert watcher.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
        make.add_member(ws, make.user(name="Later"), "viewer")
        wait_for(lambda: any(e["type"] == "member.added" for e in watcher.received), timeout=15)
    finally:
        if clients is not None:
            clients.close()
        if server is not None:
            server.stop()
        serving.stop(app)
        jobs.backend.shutdown()
        db.dispose()
