"""Scaled out: a change made through one web process reaches the sockets
open on another at once (access notices and member events over Redis)."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

from tests.conftest import USE_PG, USE_REDIS, free_port, login_cookie, wait_for
from tests.documents.test_documents_api import statement_of
from tests.foundation.live_access import Conn, insert_update
from tests.foundation.test_processes import _serve


@pytest.mark.skipif(not (USE_PG and USE_REDIS), reason="several processes need PostgreSQL + Redis")
def test_revocations_through_one_process_reach_sockets_on_another(app, settings, make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    removed, revoker, leaver = make.user(), make.user(), make.user()
    for user in (removed, revoker, leaver):
        make.add_member(ws, user, "editor")
    procs, conns = [], []
    try:
        (a, url_a), (b, url_b) = _serve(settings, free_port()), _serve(settings, free_port())
        procs = [a, b]
        token = make.token(revoker)
        cookie_session, csrf = login_cookie(url_b, leaver)
        cookie = "; ".join(f"{k}={v}" for k, v in cookie_session.cookies.items())
        on_a = {
            "removed": Conn(url_a, token=make.token(removed)),
            "revoked": Conn(url_a, token=token),
            "left": Conn(url_a, cookie=cookie),
            "observer": Conn(url_a, token=make.token(ws.partner, ("read",))),
        }
        conns = list(on_a.values())
        for conn in conns:
            assert conn.call("doc:join", {"document_id": doc["id"]})["ok"]
            assert conn.call("feed:subscribe", {"workspace_id": ws.id})["ok"]
        owner = {"Authorization": f"Bearer {make.token(ws.owner)}"}

        # Through B: a member removed, a token revoked, a logout.
        res = requests.delete(
            f"{url_b}/api/v1/workspaces/{ws.id}/members/{removed.id}", headers=owner, timeout=10
        )
        assert res.status_code == 204
        tokens = api.as_(revoker).get("/me/tokens").get_json()["items"]
        token_id = next(t["id"] for t in tokens if token.startswith(t["prefix"]))
        res = requests.delete(
            f"{url_b}/api/v1/me/tokens/{token_id}",
            timeout=10,
            headers={"Authorization": f"Bearer {make.token(revoker)}"},
        )
        assert res.status_code == 204
        res = cookie_session.post(
            f"{url_b}/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=10
        )
        assert res.status_code == 204

        # On A, at once: told, and dropped from what they lost.
        wait_for(lambda: on_a["removed"].changed, timeout=15)
        assert on_a["removed"].changed[-1]["workspaces"] == [ws.id]
        wait_for(lambda: on_a["revoked"].ended and on_a["revoked"].dropped.is_set(), timeout=15)
        assert on_a["revoked"].ended[-1]["reason"] == "token_revoked"
        wait_for(lambda: on_a["left"].ended and on_a["left"].dropped.is_set(), timeout=15)
        assert on_a["left"].ended[-1]["reason"] == "logout"

        # An edit and an event through B reach the observer on A, and no one else.
        before = {name: (len(c.updates), len(c.events)) for name, c in on_a.items()}
        writer = Conn(url_b, token=make.token(ws.owner))
        conns.append(writer)
        assert writer.call(
            "doc:update", {"document_id": doc["id"], "update": insert_update("from B ")}
        )["ok"]
        res = requests.patch(
            f"{url_b}/api/v1/workspaces/{ws.id}",
            json={"summary": "from B"},
            headers=owner,
            timeout=10,
        )
        assert res.status_code == 200
        observer = on_a["observer"]
        wait_for(
            lambda: (
                len(observer.updates) > before["observer"][0]
                and len(observer.events) > before["observer"][1]
            ),
            timeout=15,
        )
        time.sleep(0.5)  # a straggling relay would have arrived by now
        for name in ("removed", "revoked", "left"):
            assert (len(on_a[name].updates), len(on_a[name].events)) == before[name], name
        refused = on_a["removed"].call(
            "doc:update", {"document_id": doc["id"], "update": insert_update("no ")}
        )
        assert refused["error"]["code"] == "not_found"
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
