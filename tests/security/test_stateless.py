"""Item 11 (bearer part): a call with a bearer token is stateless (SPEC v1.1):
no Set-Cookie, no `Vary: Cookie`, and the session it may carry is left alone."""

from __future__ import annotations


def _stateless(resp, what):
    assert "Set-Cookie" not in resp.headers, (what, resp.headers.get("Set-Cookie"))
    assert "cookie" not in resp.headers.get("Vary", "").lower(), (what, resp.headers["Vary"])


def test_bearer_calls_set_no_cookie_on_success_or_error(client, make):
    ws = make.workspace()
    token = make.token(ws.owner, ("read", "write"))
    reader = make.token(ws.owner, ("read",))
    bearer = {"Authorization": f"Bearer {token}"}
    calls = {
        "me": client.get("/api/v1/me", headers=bearer),
        "list": client.get("/api/v1/workspaces", headers=bearer),
        "create": client.post(
            "/api/v1/me/tokens", headers=bearer, json={"name": "ci", "scopes": ["read"]}
        ),
        "patch": client.patch(
            f"/api/v1/workspaces/{ws.id}", headers=bearer, json={"title": "x" * 201}
        ),
        "missing": client.get("/api/v1/workspaces/999999", headers=bearer),
        "scope": client.patch(
            f"/api/v1/workspaces/{ws.id}", headers={"Authorization": f"Bearer {reader}"}, json={}
        ),
        "bad token": client.get("/api/v1/me", headers={"Authorization": "Bearer jl_nope"}),
        # A route the owner may call: elsewhere access is answered before the body.
        "bad json": client.post(
            "/api/v1/me/tokens", headers=bearer, data="{", content_type="application/json"
        ),
        "method": client.put("/api/v1/workspaces", headers=bearer, json={}),
        "url token": client.get(f"/api/v1/workspaces?token={token}"),
        "feed": client.get(f"/api/v1/feed.atom?token={reader}"),
        "page": client.get("/workspaces", headers=bearer),
        "logout": client.post("/api/v1/auth/logout", headers=bearer, json={}),
    }
    statuses = {name: resp.status_code for name, resp in calls.items()}
    assert statuses == {
        "me": 200,
        "list": 200,
        "create": 201,
        "patch": 422,
        "missing": 404,
        "scope": 403,
        "bad token": 401,
        "bad json": 400,
        "method": 405,
        "url token": 400,
        "feed": 200,
        "page": 302,
        "logout": 204,
    }
    for name, resp in calls.items():
        _stateless(resp, name)
    # A bearer client needs no CSRF token, and gets none.
    assert "csrf_token" not in calls["me"].get_json()


def test_a_session_cookie_beside_a_token_is_neither_used_nor_touched(client, make):
    ws = make.workspace()
    other = make.user()
    login = client.post(
        "/api/v1/auth/login", json={"email": other.email, "password": other.password}
    )
    csrf = login.get_json()["csrf_token"]
    token = make.token(ws.owner, ("read",))
    bearer = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=bearer)
    assert me.get_json()["id"] == ws.owner.id  # the token speaks, not the cookie
    _stateless(me, "me with cookie")
    # Logging out with a token does not end the cookie's session...
    out = client.post("/api/v1/auth/logout", headers={**bearer, "X-CSRF-Token": csrf}, json={})
    assert out.status_code == 204
    _stateless(out, "logout with cookie")
    assert client.get("/api/v1/me").get_json()["id"] == other.id
    # ...and a cookie session still gets its cookie and its Vary as before.
    cookie_me = client.get("/api/v1/me")
    assert "cookie" in cookie_me.headers.get("Vary", "").lower()


def test_a_stale_cookie_beside_a_token_is_not_cleared(client, make):
    user = make.user()
    client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    client.set_cookie("session", "not-a-valid-session", domain="localhost")
    token = make.token(user, ("read",))
    resp = client.get("/api/v1/workspaces", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    _stateless(resp, "stale cookie")
