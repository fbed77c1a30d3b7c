"""The product as operators run it: commands, configuration, several processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import USE_PG, USE_REDIS, free_port, login_cookie, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _env(settings, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTLAB_")}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key,
            "INSTANCE_PATH": str(settings.instance_path),
            "JOINTLAB_NO_DEMO": "1",
        }
    )
    if settings.redis_url:
        env.update({"REDIS_URL": settings.redis_url, "REDIS_NAMESPACE": settings.redis_namespace})
    env.update(extra)
    return env


def _flask(settings, *args, **extra):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_create_admin_command_then_login(app, settings, client):
    done = _flask(
        settings, "create-admin", "--email", "Root@Example.test", "--password", "a long password"
    )
    assert done.returncode == 0, done.stderr
    assert "root@example.test" in done.stdout
    res = client.post(
        "/api/v1/auth/login", json={"email": "root@example.test", "password": "a long password"}
    )
    assert res.status_code == 200 and res.get_json()["role"] == "admin"
    again = _flask(
        settings, "create-admin", "--email", "root@example.test", "--password", "a long password"
    )
    assert again.returncode != 0 and "exists" in again.stderr


def test_scheduler_run_once_runs_every_periodic_job(app, settings):
    done = _flask(settings, "scheduler", "run-once")
    assert done.returncode == 0, done.stderr
    assert "jobs.outbox.process_outbox" in done.stdout
    assert "failed" not in done.stdout, done.stdout


def test_bad_configuration_is_one_clear_line(app, settings):
    unreachable = _flask(settings, "routes", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 2
    lines = unreachable.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "Traceback" not in unreachable.stderr
    bad_port = _flask(settings, "routes", PORT="http")
    assert bad_port.returncode == 2 and "PORT" in bad_port.stderr


@pytest.mark.skipif(not USE_PG, reason="SQLite is migrated by the app itself")
def test_db_upgrade_brings_a_database_that_is_behind_up_to_date(settings):
    """Every other process refuses a schema that is behind, so the upgrade
    command itself must run against one (each release with a migration)."""
    from sqlalchemy import create_engine, text

    from tests.conftest import PG_ADMIN_URL, RUN_ID
    from workspace.migrations import upgrade

    name = f"jl_behind_{RUN_ID}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(url, "0005")
        refused = _flask(settings, "routes", DATABASE_URL=url)
        assert refused.returncode == 2 and "db upgrade" in refused.stderr
        done = _flask(settings, "db", "upgrade", DATABASE_URL=url)
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout
        assert _flask(settings, "routes", DATABASE_URL=url).returncode == 0
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_output(proc) -> str:
    return Path(proc.log_path).read_text(encoding="utf-8", errors="replace")


def _serve(settings, port):
    # Output goes to a file, not a pipe nobody reads: a full pipe would stop
    # the whole (cooperative) server at its next log line.
    with tempfile.NamedTemporaryFile(
        prefix=f"jl-serve-{port}-", suffix=".log", delete=False
    ) as log:
        proc = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=ROOT,
            env=_env(settings, PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    proc.log_path = log.name
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return proc.poll() is not None

    wait_for(up, timeout=30)
    assert proc.poll() is None, server_output(proc)
    return proc, url


@pytest.mark.skipif(not (USE_PG and USE_REDIS), reason="several processes need PostgreSQL + Redis")
def test_two_web_processes_and_a_third_writer_share_live_events(app, settings, make, sio):
    ws = make.workspace()
    procs = []
    try:
        (a, url_a), (b, url_b) = _serve(settings, free_port()), _serve(settings, free_port())
        procs = [a, b]
        watcher = sio.connect(url=url_a, token=make.token(ws.partner, ("read",)))
        assert watcher.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
        # A write through process B reaches the client connected to A...
        session, csrf = login_cookie(url_b, ws.owner)
        res = session.patch(
            f"{url_b}/api/v1/workspaces/{ws.id}",
            json={"title": "from B"},
            headers={"X-CSRF-Token": csrf},
            timeout=10,
        )
        assert res.status_code == 200
        wait_for(
            lambda: any(
                e["data"].get("changes", {}).get("title", {}).get("to") == "from B"
                for e in watcher.received
            )
        )
        # ...and so does one committed by a process with no web server at all
        # (as an RQ job would), through the Redis bus.
        script = (
            "from workspace.app import create_app\n"
            "from workspace.db import db\n"
            "from workspace.spaces import service\n"
            "from workspace.auth.models import User\n"
            "create_app()\n"
            "with db.transaction() as s:\n"
            f"    service.update_workspace(s, s.get(User, {ws.owner.id}), {ws.id}, "
            "{'title': 'from a job'})\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        wait_for(
            lambda: any(
                e["data"].get("changes", {}).get("title", {}).get("to") == "from a job"
                for e in watcher.received
            )
        )
        seqs = [e["seq"] for e in watcher.received]
        assert seqs == sorted(set(seqs))
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_fresh_start_seeds_a_demo_and_prints_logins(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("JOINTLAB_")
    }
    env.update({"INSTANCE_PATH": str(tmp_path / "instance"), "PORT": str(port)})
    proc = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def ready():
            try:
                return requests.get(url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, timeout=40)
        s = requests.Session()
        res = s.post(
            url + "/api/v1/auth/login",
            json={"email": "enterprise@demo.jointlab", "password": "jointlab-demo"},
            timeout=10,
        )
        assert res.status_code == 200
        workspaces = s.get(url + "/api/v1/workspaces", timeout=10).json()["items"]
        assert workspaces and "Porosity" in workspaces[0]["title"]
        assert (tmp_path / "instance" / "jointlab.db").exists()
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert "jointlab-demo" in out and "enterprise@demo.jointlab" in out
    time.sleep(0)
