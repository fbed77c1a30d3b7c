"""Chromium: a milestone due in the past is added only after the writer confirms."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for


def _titles(api, ws):
    return [
        m["title"]
        for m in api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"]
    ]


def test_past_due_date_asks_for_confirmation(make, api, live_server, browser_context):
    ws = make.workspace()
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}/trials")
    page.click("text=Add a milestone")
    form = page.locator('form[data-trials-form="milestone"]')
    form.locator('input[name="title"]').fill("Typo year")
    form.locator('input[name="due_date"]').fill("1999-01-01")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    form.locator('button[type="submit"]').click()
    wait_for(lambda: asked)
    assert "1999-01-01" in asked[0] and "past" in asked[0]
    page.wait_for_timeout(300)
    assert "Typo year" not in _titles(api, ws)
    page.once("dialog", lambda d: d.accept())
    form.locator('button[type="submit"]').click()
    wait_for(lambda: "Typo year" in _titles(api, ws))
    # A future date is added without a question.
    form = page.locator('form[data-trials-form="milestone"]')
    expect(form).to_have_count(1)
    later = []
    page.on("dialog", lambda d: (later.append(d.message), d.dismiss()))
    form.locator('input[name="title"]').fill("Next year")
    form.locator('input[name="due_date"]').fill("2099-12-31")
    form.locator('button[type="submit"]').click()
    wait_for(lambda: "Next year" in _titles(api, ws))
    assert later == []
