"""Issue 15, "Everywhere": people create, see and revoke their API tokens in a
page (until now only curl could). The secret is shown once; revoking one
refuses it at once; "last used" tells a stale token from a busy one."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.conftest import browser_login


def _signed_in(app, user):
    client = app.test_client()
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200
    return client, resp.get_json()["csrf_token"]


def _created_secret(html: str) -> str:
    found = re.search(r'value="(jl_[^"]+)" data-testid="token-secret"', html)
    assert found, "the new secret is shown"
    return found.group(1)


def test_the_secret_is_shown_once_and_not_cached(app, make):
    user = make.user()
    client, csrf = _signed_in(app, user)
    made = client.post(
        "/account/tokens",
        data={"csrf_token": csrf, "name": "Line 3 MES", "scopes": ["read", "measurements:write"]},
    )
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    secret = _created_secret(made.get_data(as_text=True))
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["id"] == user.id
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and "Line 3 MES" in again
    assert secret[:10] in again  # the prefix tells tokens apart


def test_bad_forms_change_nothing(app, make):
    user = make.user()
    client, csrf = _signed_in(app, user)
    no_scope = client.post("/account/tokens", data={"csrf_token": csrf, "name": "x"})
    assert no_scope.status_code == 422
    assert 'data-testid="token-error-scopes"' in no_scope.get_data(as_text=True)
    blank = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "   ", "scopes": "read"}
    )
    assert blank.status_code == 422
    assert 'data-testid="token-error-name"' in blank.get_data(as_text=True)
    bogus = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "x", "scopes": "admin"}
    )
    assert bogus.status_code == 422
    forged = client.post("/account/tokens", data={"name": "x", "scopes": "read"})
    assert forged.status_code == 400
    listed = client.get("/api/v1/me/tokens").get_json()["items"]
    assert listed == []


def test_nobody_revokes_another_persons_token(app, make):
    owner, other = make.user(), make.user()
    secret = make.token(owner, ("read",))
    token_id = (
        app.test_client()
        .get("/api/v1/me/tokens", headers={"Authorization": f"Bearer {secret}"})
        .get_json()["items"][0]["id"]
    )
    client, csrf = _signed_in(app, other)
    resp = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert resp.status_code == 404
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        .status_code
        == 200
    )


def test_last_used_is_recorded_for_bearer_calls(app, make):
    user = make.user()
    secret = make.token(user, ("read",))
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    assert (
        client.get("/api/v1/me/tokens", headers=headers).get_json()["items"][0]["last_used_at"]
        is not None
    )  # this very call counts


def test_create_use_and_revoke_a_token_in_the_browser(make, live_server, browser_context):
    user = make.user()
    url = live_server.url
    page = browser_login(browser_context(), url, user)
    page.click('[data-testid="current-user"]')  # the user menu
    expect(page.locator('[data-testid="nav-api-docs"]')).to_be_visible()
    page.click('[data-testid="nav-tokens"]')
    expect(page.locator('[data-testid="no-tokens"]')).to_be_visible()

    # A form without a name or a scope says what is missing, next to the field.
    page.click('[data-testid="create-token"]')
    expect(page.locator('[data-testid="token-error-scopes"]')).to_be_visible()
    page.fill('input[name="name"]', "Line 3 MES export")
    page.check('input[name="scopes"][value="read"]')
    page.click('[data-testid="create-token"]')
    secret = page.locator('[data-testid="token-secret"]').input_value()
    assert secret.startswith("jl_")

    # The token works, within its scope.
    auth = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{url}/api/v1/me", headers=auth, timeout=10).status_code == 200
    write = requests.patch(f"{url}/api/v1/me", json={"name": "Renamed"}, headers=auth, timeout=10)
    assert write.status_code == 403
    assert write.json()["error"]["code"] == "insufficient_scope"

    # Shown once: a reload lists it, with its last use, but not the secret.
    page.goto(f"{url}/account/tokens")
    row = page.locator('[data-testid="tokens"] tbody tr')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Line 3 MES export")
    expect(page.locator('[data-testid="token-secret"]')).to_have_count(0)
    expect(row.locator('[data-testid="last-used"] time')).to_have_count(1)

    # Revoking asks first; cancelling keeps it.
    page.once("dialog", lambda d: d.dismiss())
    page.click('[data-testid="revoke-token"]')
    expect(row).to_have_count(1)
    assert requests.get(f"{url}/api/v1/me", headers=auth, timeout=10).status_code == 200
    page.once("dialog", lambda d: d.accept())
    page.click('[data-testid="revoke-token"]')
    expect(page.locator('[data-testid="token-revoked"]')).to_be_visible()
    expect(page.locator('[data-testid="no-tokens"]')).to_be_visible()
    refused = requests.get(f"{url}/api/v1/me", headers=auth, timeout=10)
    assert refused.status_code == 401


def test_the_tokens_page_speaks_chinese(make, live_server, browser_context):
    user = make.user(locale="zh-CN")
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, user)
    page.goto(f"{live_server.url}/account/tokens")
    expect(page.locator("h1")).to_have_text("API 令牌")
    expect(page.locator('[data-testid="token-form"]')).to_contain_text(
        "只能向进行中的试验记录测量值"
    )
    expect(page.locator('link[rel="icon"]')).to_have_count(1)
