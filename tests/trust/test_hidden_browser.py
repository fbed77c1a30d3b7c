"""Chromium: what the `hidden` attribute hides stays hidden whatever class styles it
(sign-off badges on a document nobody agreed, the measurement form of a trial that
is not running)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.documents.test_documents_api import statement_of
from tests.trials.factory import add_indicators, trial


def test_fresh_document_shows_no_signoff_badges(make, api, live_server, browser_context):
    ws = make.workspace()
    doc = statement_of(api, ws)
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/documents/{doc['id']}")
    expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    expect(page.locator('[data-testid="agreed"]')).to_be_hidden()
    expect(page.locator('[data-testid="moved-on"]')).to_be_hidden()
    expect(page.get_by_text("The text has changed since the agreed version")).to_be_hidden()


def test_measurement_form_only_on_a_running_trial(make, api, live_server, browser_context):
    ws = make.workspace()
    add_indicators(api, ws)
    planned = trial(api, ws, "planned", title="Planned one")
    completed = trial(api, ws, "completed", title="Done one")
    running = trial(api, ws, "running", title="Running one")
    page = browser_login(browser_context(), live_server.url, ws.owner)
    form = 'form[data-trials-form="measurement"]'
    for t in (planned, completed):
        page.goto(f"{live_server.url}/trials/{t['id']}")
        expect(page.locator(form)).to_be_hidden()
    page.goto(f"{live_server.url}/trials/{running['id']}")
    expect(page.locator(form)).to_be_visible()
    # Starting a planned trial live brings its form in; completing takes it away.
    page.goto(f"{live_server.url}/trials/{planned['id']}")
    page.click('[data-trial-action="running"]')
    expect(page.locator(form)).to_be_visible()
