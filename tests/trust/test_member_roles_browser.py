"""Chromium: adding an existing member says so and changes nothing; the role
selector asks for confirmation, and cancelling changes nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for


def _role(api, ws, user_id):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/members").get_json()["items"]
    return {m["user_id"]: m["role"] for m in items}[user_id]


def test_existing_member_and_confirmed_role_change(make, api, live_server, browser_context):
    ws = make.workspace()
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    form = page.locator('form[data-action="add-member"]')
    form.locator('input[name="email"]').fill(ws.partner.email)
    form.locator('select[name="role"]').select_option("editor")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".error")).to_be_visible()
    expect(form.locator(".error")).to_contain_text("already a member")
    assert _role(api, ws, ws.partner.id) == "owner"

    select = page.locator(f'[data-testid="role-{ws.partner.id}"]')
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    select.select_option("viewer")
    wait_for(lambda: messages)
    assert ws.partner.name in messages[0] and "viewer" in messages[0]
    expect(select).to_have_value("owner")
    assert _role(api, ws, ws.partner.id) == "owner"

    page.once("dialog", lambda d: d.accept())
    select.select_option("editor")
    wait_for(lambda: _role(api, ws, ws.partner.id) == "editor")
    expect(page.locator(f'[data-testid="role-{ws.partner.id}"]')).to_have_value("editor")
    expect(page.locator('[data-testid="activity"]')).to_contain_text(
        f"{ws.owner.name} made {ws.partner.name} editor"
    )


def test_chinese_page_says_already_member_in_chinese(make, api, live_server, browser_context):
    owner = make.user(side="enterprise", locale="zh-CN", name="企业负责人")
    ws = make.workspace(owner=owner)
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    form = page.locator('form[data-action="add-member"]')
    form.locator('input[name="email"]').fill(ws.partner.email)
    form.locator('button[type="submit"]').click()
    expect(form.locator(".error")).to_contain_text("此人已是成员")
    expect(page.locator(f'[data-testid="role-{ws.partner.id}"] option:checked')).to_have_text(
        "负责人"
    )
