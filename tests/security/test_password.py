"""Item 18: people change their own password; the old one is required, other
sessions end, this one stays signed in."""

from __future__ import annotations

import re

from tests.conftest import browser_login


def _login(client, user, password=None):
    resp = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password or user.password}
    )
    return resp


def test_change_password_over_the_api(app, make):
    user = make.user()
    here, elsewhere = app.test_client(), app.test_client()
    csrf = _login(here, user).get_json()["csrf_token"]
    _login(elsewhere, user)
    token = make.token(user, ("read", "write"))
    changed = here.post(
        "/api/v1/me/password",
        headers={"X-CSRF-Token": csrf},
        json={"current_password": user.password, "new_password": "a brand new secret"},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["id"] == user.id and body["csrf_token"] and body["csrf_token"] != csrf
    # This session stays, with the new CSRF token; the other one has ended.
    assert here.get("/api/v1/me").status_code == 200
    assert (
        here.patch(
            "/api/v1/me", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": body["csrf_token"]}
        ).status_code
        == 200
    )
    assert elsewhere.get("/api/v1/me").status_code == 401
    # The old password no longer logs in; the new one does. Tokens keep working.
    fresh = app.test_client()
    assert _login(fresh, user).status_code == 401
    assert _login(fresh, user, "a brand new secret").status_code == 200
    assert fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_wrong_weak_or_same_passwords_change_nothing(client, make):
    user = make.user()
    csrf = _login(client, user).get_json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}

    def change(current, new):
        return client.post(
            "/api/v1/me/password",
            headers=headers,
            json={"current_password": current, "new_password": new},
        )

    wrong = change("not it", "a brand new secret")
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["code"] == "wrong_password"
    assert wrong.get_json()["error"]["fields"] == {"current_password": ["Wrong password."]}
    short = change(user.password, "short")
    assert short.status_code == 422 and "new_password" in short.get_json()["error"]["fields"]
    same = change(user.password, user.password)
    assert same.status_code == 422 and same.get_json()["error"]["code"] == "same_password"
    missing = client.post("/api/v1/me/password", headers=headers, json={"new_password": "x" * 9})
    assert missing.status_code == 422
    assert "current_password" in missing.get_json()["error"]["fields"]
    assert (
        client.post(
            "/api/v1/me/password",
            json={"current_password": user.password, "new_password": "a brand new secret"},
        ).status_code
        == 403
    )  # no CSRF token
    other = client.application.test_client()
    assert _login(other, user).status_code == 200  # the password did not change


def test_wrong_current_passwords_are_throttled_like_logins(client, make):
    user = make.user()
    csrf = _login(client, user).get_json()["csrf_token"]
    codes = [
        client.post(
            "/api/v1/me/password",
            headers={"X-CSRF-Token": csrf},
            json={"current_password": f"guess {n}", "new_password": "x" * 10},
        ).status_code
        for n in range(5)
    ]
    assert codes == [422, 422, 422, 422, 429]
    held = client.post(
        "/api/v1/me/password",
        headers={"X-CSRF-Token": csrf},
        json={"current_password": user.password, "new_password": "x" * 10},
    )
    assert held.status_code == 429 and held.headers["Retry-After"]


def test_tokens_cannot_change_the_password(api, make, client):
    user = make.user()
    resp = api.as_(user).post(
        "/me/password",
        json={"current_password": user.password, "new_password": "a brand new secret"},
    )
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "session_required"
    assert _login(client, user).status_code == 200
    assert client.get("/api/v1/openapi.json").get_json()["paths"]["/me/password"]["post"]


def _form_token(html: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', html)[-1]


def test_the_page_speaks_chinese_and_says_what_is_wrong(client, make):
    user = make.user(locale="zh-CN")
    _login(client, user)
    page = client.get("/settings/password").get_data(as_text=True)
    assert "修改密码" in page and "当前密码" in page
    form = {
        "csrf_token": _form_token(page),
        "current_password": "nope",
        "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
    }
    wrong = client.post("/settings/password", data=form)
    assert wrong.status_code == 422 and "当前密码不正确。" in wrong.get_data(as_text=True)
    differ = client.post(
        "/settings/password",
        data={**form, "current_password": user.password, "confirm_password": "something else"},
    )
    assert differ.status_code == 422 and "两次输入的新密码不一致。" in differ.get_data(as_text=True)
    expired = client.post("/settings/password", data={**form, "csrf_token": "x"})
    assert expired.status_code == 400
    assert _login(client.application.test_client(), user).status_code == 200


def test_change_password_in_the_browser(live_server, browser_context, make):
    user = make.user(name="Chen Jing")
    page = browser_login(browser_context(), live_server.url, user)
    other = browser_login(browser_context(), live_server.url, user)
    page.click('[data-testid="current-user"]')
    page.click('[data-testid="change-password"]')
    page.wait_for_url(f"{live_server.url}/settings/password")
    page.fill('input[name="current_password"]', user.password)
    page.fill('input[name="new_password"]', "a brand new secret")
    page.fill('input[name="confirm_password"]', "a brand new secret")
    page.click('[data-testid="password-form"] button[type="submit"]')
    page.wait_for_selector('[data-testid="password-changed"]')
    # This browser stays signed in...
    page.goto(f"{live_server.url}/workspaces")
    assert page.url == f"{live_server.url}/workspaces"
    assert page.inner_text('[data-testid="current-user"]') == "Chen Jing"
    # ...the one signed in before is sent to the login page...
    other.goto(f"{live_server.url}/workspaces")
    assert other.url.startswith(f"{live_server.url}/login")
    # ...where the old password fails and the new one works.
    fresh = browser_context().new_page()
    fresh.goto(f"{live_server.url}/login")
    fresh.fill('input[name="email"]', user.email)
    fresh.fill('input[name="password"]', user.password)
    fresh.click('button[type="submit"].primary')
    fresh.wait_for_selector('p.error[role="alert"]')
    assert fresh.url.startswith(f"{live_server.url}/login")
    fresh.fill('input[name="password"]', "a brand new secret")
    fresh.click('button[type="submit"].primary')
    fresh.wait_for_url(f"{live_server.url}/workspaces")
