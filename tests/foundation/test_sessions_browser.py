"""Chromium: signed in on two browsers, a user ends the other session from
the sessions page; the other browser's open document says it was signed
out at once, and its next navigation lands on the login form."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.documents.test_documents_api import statement_of


def test_ending_the_other_session_signs_that_browser_out(make, api, live_server, browser_context):
    ws = make.workspace()
    doc = statement_of(api, ws)
    url = live_server.url
    here = browser_login(browser_context(), url, ws.owner)
    there = browser_login(browser_context(locale="zh-CN"), url, ws.owner)
    there.goto(f"{url}/documents/{doc['id']}")
    status = there.locator('[data-testid="save-status"]')
    expect(status).to_have_attribute("data-state", "saved")
    expect(there.locator('[data-testid="signed-out"]')).to_be_hidden()

    here.click('[data-testid="current-user"]')  # the user menu
    here.click('[data-testid="nav-sessions"]')
    rows = here.locator('[data-testid="sessions"] tbody tr')
    expect(rows).to_have_count(2)
    expect(here.locator('tr[data-current="1"] [data-testid="current-session"]')).to_be_visible()
    here.locator('tr:not([data-current]) [data-testid="end-session"]').click()
    expect(here.locator('[data-testid="session-ended"]')).to_be_visible()
    expect(rows).to_have_count(1)

    # The other browser is told at once, without reloading...
    expect(there.locator('[data-testid="signed-out"]')).to_be_visible()
    expect(status).to_have_attribute("data-state", "signed-out")
    # ...and its next navigation asks it to log in.
    there.locator('[data-testid="signed-out"] a').click()
    expect(there.locator('input[name="password"]')).to_be_visible()
    assert "/login" in there.url
    there.goto(f"{url}/workspaces")
    assert "/login" in there.url
    # This browser is still signed in.
    here.goto(f"{url}/documents/{doc['id']}")
    expect(here.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
