"""Item 17: `?token=` only where a feed reader needs it, and never in a log."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import free_port, wait_for
from workspace.db import db
from workspace.http import OPERATIONS
from workspace.spaces.models import Workspace

ROOT = Path(__file__).resolve().parents[2]
FEEDS = {"/feed.atom", "/milestones.ics", "/workspaces/<int:workspace_id>/milestones.ics"}


def _path(rule: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule)


def test_only_the_feeds_take_a_token_in_the_url(client, make):
    ws = make.workspace()
    token = make.token(ws.owner, ("read", "write"))
    marked = {op.rule for op in OPERATIONS if op.query_token}
    assert marked == FEEDS
    for rule in sorted(FEEDS):
        resp = client.get("/api/v1" + _path(rule, {"workspace_id": ws.id}) + f"?token={token}")
        assert resp.status_code == 200, rule
        assert resp.mimetype in ("application/atom+xml", "text/calendar")
    refused = 0
    for op in OPERATIONS:
        if op.query_token:
            continue
        url = "/api/v1" + _path(op.rule, {"workspace_id": ws.id}) + f"?token={token}"
        resp = client.open(url, method=op.method, json={})
        assert resp.status_code == 400, (op.method, op.rule, resp.status_code)
        error = resp.get_json()["error"]
        assert error["code"] == "token_in_query"
        assert "Authorization: Bearer" in error["message"]
        refused += 1
    assert refused > 60  # generated from the route table: a new route is covered too


def test_a_refused_url_token_changes_nothing_and_any_spelling_is_caught(client, make):
    ws = make.workspace()
    token = make.token(ws.owner, ("read", "write"))
    with db.reading() as s:
        before = s.query(Workspace).count()
    made = client.post(
        f"/api/v1/workspaces?token={token}",
        json={
            "title": "via URL",
            "summary": "",
            "enterprise_id": ws.enterprise_id,
            "university_id": ws.university_id,
        },
    )
    assert made.status_code == 400 and made.get_json()["error"]["code"] == "token_in_query"
    with db.reading() as s:
        assert s.query(Workspace).count() == before
    for query in (f"%74oken={token}", f"TOKEN=x&token={token}", "token=", "token=jl_not-real"):
        resp = client.get(f"/api/v1/workspaces?{query}")
        assert resp.status_code == 400, query
    # The header still works, and on the feeds too.
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/workspaces", headers=headers).status_code == 200
    assert client.get("/api/v1/feed.atom", headers=headers).status_code == 200
    # A feed refuses a bad URL token with 401 as before; a HEAD is a GET.
    assert client.get("/api/v1/feed.atom?token=jl_nope").status_code == 401
    assert client.head(f"/api/v1/milestones.ics?token={token}").status_code == 200


def _env(settings, port):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTLAB_")}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key,
            "INSTANCE_PATH": str(settings.instance_path),
            "JOINTLAB_NO_DEMO": "1",
            "PORT": str(port),
        }
    )
    if settings.redis_url:
        env.update({"REDIS_URL": settings.redis_url, "REDIS_NAMESPACE": settings.redis_namespace})
    return env


def test_served_requests_never_log_a_token(app, settings, make):
    """`python wsgi.py` as operators run it; its real request log is read back."""
    ws = make.workspace()
    token = make.token(ws.owner, ("read",))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=_env(settings, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return requests.get(url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None

        wait_for(up, timeout=40)
        assert proc.poll() is None
        got = [
            requests.get(f"{url}/api/v1/feed.atom?token={token}", timeout=10),
            requests.get(
                f"{url}/api/v1/workspaces/{ws.id}/milestones.ics?a=1&token={token}", timeout=10
            ),
            requests.get(f"{url}/api/v1/workspaces?token={token}", timeout=10),
            requests.get(f"{url}/api/v1/feed.atom?%74oken={token}", timeout=10),
            requests.get(f"{url}/workspaces?token={token}", timeout=10, allow_redirects=False),
        ]
        assert [r.status_code for r in got] == [200, 200, 400, 200, 302]
    finally:
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    assert token not in out and token[3:] not in out
    lines = [line for line in out.splitlines() if "GET /" in line]
    assert len(lines) >= 5, out
    assert sum("token=[redacted]" in line for line in lines) == 5, lines
    assert any("/milestones.ics?a=1&token=[redacted]" in line for line in lines)


def test_the_apps_own_log_lines_are_redacted(app, caplog):
    secret = "jl_" + "x" * 43
    with caplog.at_level(logging.INFO):
        app.logger.warning("slow request %s", f"/api/v1/feed.atom?token={secret}&x=1")
        logging.getLogger("workspace.webhooks.transport").warning(
            "POST %s failed", "https://oapi.dingtalk.example/robot/send?access_token=abc123"
        )
        logging.getLogger("gunicorn.access").info(
            '%(h)s "%(r)s" %(s)s',
            {"h": "10.0.0.1", "r": f"GET /feed?access_token={secret}", "s": "200"},
        )
        logging.getLogger("werkzeug").info('"GET /x/%s HTTP/1.1" 200', secret)
    text = caplog.text
    assert secret not in text and "x" * 43 not in text
    assert "token=[redacted]&x=1" in text and "access_token=[redacted]" in text
    assert "/x/jl_[redacted]" in text
    assert "abc123" not in text and "robot/send?access_token=[redacted]" in text
