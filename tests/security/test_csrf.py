"""Item 16: no write on someone's behalf from another site.

Cookie sessions ride along on cross-site requests; a page elsewhere can send a
form or a `text/plain` "simple" request without a CORS preflight. So every
state-changing request that is not made with a bearer token needs JSON (which
forces a preflight we never approve) or our CSRF token, and is refused when the
browser says it came from another site."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login_cookie
from workspace.auth.models import ApiToken
from workspace.db import db
from workspace.events.models import Event
from workspace.http import OPERATIONS

EVIL = "http://evil.example"


def _logged_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_login_needs_json_a_form_or_plain_text_body_is_refused(client, make):
    user = make.user()
    body = f'{{"email": "{user.email}", "password": "{user.password}"}}'
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ):
        resp = client.post("/api/v1/auth/login", data=body, content_type=content_type)
        assert resp.status_code == 415, content_type
        error = resp.get_json()["error"]
        assert error["code"] == "json_required" and "application/json" in error["message"]
        assert "Set-Cookie" not in resp.headers
        assert not _logged_in(client)
    ok = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert ok.status_code == 200 and _logged_in(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://localhost.evil.example"},
    ],
)
def test_login_from_another_site_is_refused_even_as_json(client, make, headers):
    user = make.user()
    resp = client.post(
        "/api/v1/auth/login", headers=headers, json={"email": user.email, "password": user.password}
    )
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "cross_site_request"
    assert "another site" in resp.get_json()["error"]["message"]
    assert not _logged_in(client)


def test_login_from_our_own_pages_passes_the_origin_check(client, make):
    user = make.user()
    resp = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": user.password},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert resp.status_code == 200


def test_logout_needs_json_or_the_csrf_token(client, make):
    user = make.user()
    csrf = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    ).get_json()["csrf_token"]
    for kwargs in ({}, {"data": "x", "content_type": "text/plain"}, {"data": {"a": "b"}}):
        resp = client.post("/api/v1/auth/logout", **kwargs)
        assert resp.status_code == 415, kwargs
        assert _logged_in(client)
    wrong = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "csrf_failed"
    crossed = client.post("/api/v1/auth/logout", json={}, headers={"Origin": EVIL})
    assert crossed.status_code == 403 and _logged_in(client)
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert not _logged_in(client)
    user2 = make.user()
    client.post("/api/v1/auth/login", json={"email": user2.email, "password": user2.password})
    assert client.post("/api/v1/auth/logout", json={}).status_code == 204
    assert not _logged_in(client)


def _path(rule: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule)


def _state() -> tuple[int, int]:
    with db.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(Event)),
            s.scalar(select(func.count()).select_from(ApiToken)),
        )


def test_every_cookie_write_route_refuses_forged_and_cross_site_requests(client, make):
    """Generated from the route table: a new route cannot be missed."""
    ws = make.workspace()
    csrf = client.post(
        "/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password}
    ).get_json()["csrf_token"]
    before = _state()
    writes = [op for op in OPERATIONS if op.method != "GET"]
    assert len(writes) > 30
    for op in writes:
        url = "/api/v1" + _path(op.rule, {"workspace_id": ws.id})
        plain = client.open(url, method=op.method, data='{"title": "x"}', content_type="text/plain")
        crossed = client.open(
            url,
            method=op.method,
            json={"title": "x"},
            headers={"X-CSRF-Token": csrf, "Origin": EVIL},
        )
        fetched = client.open(
            url,
            method=op.method,
            json={"title": "x"},
            headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"},
        )
        if op.scope is None:  # login, logout: no session to hold a token yet
            assert plain.status_code == 415, op.rule
        else:
            assert plain.status_code == 403, op.rule
            assert plain.get_json()["error"]["code"] == "csrf_failed", op.rule
        for resp in (crossed, fetched):
            assert resp.status_code == 403, (op.method, op.rule)
            assert resp.get_json()["error"]["code"] == "cross_site_request", op.rule
    assert _state() == before and _logged_in(client)


def _form_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_page_forms_refuse_other_sites(client, make):
    user = make.user()
    token = _form_token(client)
    login = {"csrf_token": token, "email": user.email, "password": user.password}
    crossed = client.post("/login", data=login, headers={"Origin": EVIL})
    assert crossed.status_code == 403 and "another site" in crossed.get_data(as_text=True)
    assert not _logged_in(client)
    assert client.post("/login", data=login).status_code == 302 and _logged_in(client)
    token = _form_token(client, "/settings/notifications")
    for path, data in (
        ("/locale", {"locale": "zh-CN", "next": "/"}),
        ("/settings/notifications", {"digest_hour": "3"}),
        ("/logout", {}),
    ):
        resp = client.post(
            path, data={"csrf_token": token, **data}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert resp.status_code == 403, path
    assert _logged_in(client)
    assert client.get("/api/v1/me").get_json()["locale"] == "en"


def test_a_socket_from_another_site_is_refused(live_server, make):
    """Socket.IO writes (doc:update) ride on the cookie too: Engine.IO accepts
    only our own origin at the handshake."""
    user = make.user()
    session, _csrf = login_cookie(live_server.url, user)
    handshake = f"{live_server.url}/socket.io/?EIO=4&transport=polling"
    refused = session.get(handshake, headers={"Origin": EVIL}, timeout=10)
    assert refused.status_code == 400 and "sid" not in refused.text
    ours = session.get(handshake, headers={"Origin": live_server.url}, timeout=10)
    assert ours.status_code == 200 and '"sid"' in ours.text
