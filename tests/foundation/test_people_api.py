"""Login, sessions, CSRF, tokens and scopes, as a client of the API sees them."""

from __future__ import annotations

from sqlalchemy import select

from workspace.auth.models import ApiToken
from workspace.db import db


def test_login_me_logout_with_cookie_and_csrf(client, make):
    user = make.user(side="enterprise", name="王工")
    assert client.get("/api/v1/me").status_code == 401
    bad = client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_credentials"
    ok = client.post(
        "/api/v1/auth/login", json={"email": user.email.upper(), "password": user.password}
    )
    assert ok.status_code == 200
    csrf = ok.get_json()["csrf_token"]
    me = client.get("/api/v1/me").get_json()
    assert me["name"] == "王工" and me["email"] == user.email and me["role"] == "member"
    # A cookie-authenticated write without the CSRF header is refused and changes nothing.
    refused = client.patch("/api/v1/me", json={"locale": "zh-CN"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/v1/me").get_json()["locale"] == "en"
    done = client.patch("/api/v1/me", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.get_json()["locale"] == "zh-CN"
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_token_is_shown_once_stored_hashed_and_scoped(api, make, client):
    user = make.user(side="enterprise")
    ws = make.workspace(owner=user)
    created = api.as_(user).post(
        "/me/tokens", json={"name": "line 3 PLC", "scopes": ["measurements:write"]}
    )
    assert created.status_code == 201
    body = created.get_json()
    secret = body["token"]
    assert secret.startswith("jl_") and body["scopes"] == ["measurements:write"]
    listed = api.as_(user).get("/me/tokens").get_json()["items"]
    assert all("token" not in t for t in listed)
    with db.reading() as s:
        hashes = list(s.scalars(select(ApiToken.token_hash)))
    assert secret not in hashes and all(len(h) == 64 for h in hashes)
    # measurements:write alone cannot read or change the workspace.
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/workspaces/{ws.id}", headers=headers).status_code == 403
    reader = make.token(user, ("read",))
    rh = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"/api/v1/workspaces/{ws.id}", headers=rh).status_code == 200
    patch = client.patch(f"/api/v1/workspaces/{ws.id}", json={"title": "x"}, headers=rh)
    assert patch.status_code == 403 and patch.get_json()["error"]["code"] == "insufficient_scope"
    # Revoked tokens stop working at once.
    assert api.as_(user).delete(f"/me/tokens/{body['id']}").status_code == 204
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401


def test_login_attempts_are_rate_limited(client, make):
    user = make.user()
    codes = [
        client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "wrong"}
        ).status_code
        for _ in range(12)
    ]
    assert codes[0] == 401 and codes[-1] == 429
    # Even the right password is refused while limited: guessing gains nothing.
    right = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert right.status_code == 429
    assert "wait" in right.get_json()["error"]["message"]


def test_successful_logins_from_one_address_are_not_limited(client, make):
    """A whole lab behind one NAT logs in at nine: only failures count."""
    users = [make.user() for _ in range(21)]  # one more than the per-address limit
    codes = [
        client.post(
            "/api/v1/auth/login", json={"email": u.email, "password": u.password}
        ).status_code
        for u in users
    ]
    assert codes == [200] * 21


def test_admin_creates_users_others_cannot(api, make):
    admin = make.admin()
    org = make.org("university")
    made = api.as_(admin).post(
        "/users",
        json={
            "email": "li@zjut.example",
            "name": "李教授",
            "password": "long enough pw",
            "organization_id": org.id,
            "locale": "zh-CN",
        },
    )
    assert made.status_code == 201
    assert made.get_json()["organization_id"] == org.id
    dup = api.as_(admin).post(
        "/users", json={"email": "LI@zjut.example", "name": "x", "password": "long enough pw"}
    )
    assert dup.status_code == 409
    member = make.user()
    assert (
        api.as_(member)
        .post("/users", json={"email": "a@b.example", "name": "x", "password": "long enough pw"})
        .status_code
        == 403
    )
    assert api.as_(member).get("/users").status_code == 403
    assert len(api.as_(admin).get("/users?limit=200").get_json()["items"]) >= 3
