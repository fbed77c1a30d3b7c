"""Issue 15, Editing comfort: milestones and indicators are edited where they
are shown, where the rules allow it (a reached milestone stays as it was), and
the change reaches the other side live without wiping what they are typing."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.trials.factory import add_indicators


def _milestone(api, ws, milestone_id):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"]
    return next(m for m in items if m["id"] == milestone_id)


def _indicator(api, ws, indicator_id):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"]
    return next(i for i in items if i["id"] == indicator_id)


def test_edit_a_milestone_and_an_indicator_live_for_the_other_side(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    add_indicators(api, ws)
    indicator = api.as_(ws.owner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"][0]
    due = (date.today() + timedelta(days=30)).isoformat()
    m = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot casting", "due_date": due})
        .get_json()
    )
    done = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/milestones", json={"title": "Kick-off"})
        .get_json()
    )
    api.as_(ws.owner).post(f"/milestones/{done['id']}/reach")
    board = f"{live_server.url}/workspaces/{ws.id}/trials"
    here = browser_login(browser_context(), live_server.url, ws.owner)
    there = browser_login(browser_context(locale="zh-CN"), live_server.url, ws.partner)
    for page in (here, there):
        page.goto(board)
        page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    # A reached milestone is history: no edit form.
    expect(here.locator(f'[data-testid="edit-milestone-{done["id"]}"]')).to_have_count(0)

    # The other side starts typing in the same milestone's form...
    there.click(f'[data-testid="edit-milestone-{m["id"]}"] summary')
    theirs = there.locator(f'[data-testid="edit-milestone-{m["id"]}"] [name="description"]')
    theirs.fill("Two shifts on line 3")

    # ...while this side renames it and moves its date, which asks when it is past.
    here.click(f'[data-testid="edit-milestone-{m["id"]}"] summary')
    form = here.locator(f'form[data-milestone-edit][data-id="{m["id"]}"]')
    form.locator('[name="title"]').fill("Pilot casting on line 3")
    form.locator('[name="due_date"]').fill("2020-01-01")
    here.once("dialog", lambda d: d.dismiss())
    form.locator('button[type="submit"]').click()
    assert _milestone(api, ws, m["id"])["title"] == "Pilot casting"
    later = (date.today() + timedelta(days=45)).isoformat()
    form.locator('[name="due_date"]').fill(later)
    form.locator('button[type="submit"]').click()
    expect(here.locator(f'#milestone-{m["id"]} [data-testid="milestone-link"]')).to_have_text(
        "Pilot casting on line 3"
    )
    stored = _milestone(api, ws, m["id"])
    assert stored["title"] == "Pilot casting on line 3" and stored["due_date"] == later

    # Their half-typed text survived the live update; closing the form shows the new version.
    there.wait_for_timeout(1000)
    expect(theirs).to_have_value("Two shifts on line 3")
    there.click(f'[data-testid="edit-milestone-{m["id"]}"] summary')
    expect(there.locator(f'#milestone-{m["id"]} [data-testid="milestone-link"]')).to_have_text(
        "Pilot casting on line 3"
    )

    # An indicator's target changes in place and shows on the other side live.
    here.click(f'[data-testid="edit-indicator-{indicator["key"]}"] summary')
    ind = here.locator(f'form[data-indicator-edit][data-id="{indicator["id"]}"]')
    ind.locator('[name="target"]').fill("1.2")
    ind.locator('button[type="submit"]').click()
    row = there.locator(f'tr[data-indicator-key="{indicator["key"]}"]')
    expect(row).to_contain_text("1.2")
    assert _indicator(api, ws, indicator["id"])["target"] == 1.2

    # A bad value is refused with the API's words, and nothing changes.
    here.click(f'[data-testid="edit-indicator-{indicator["key"]}"] summary')
    ind.locator('[name="label"]').fill("   ")
    ind.locator('button[type="submit"]').click()
    expect(ind.locator(".error")).to_be_visible()
    assert _indicator(api, ws, indicator["id"])["label"] == indicator["label"]


def test_viewers_get_no_edit_forms(make, api, live_server, browser_context):
    viewer = make.user()
    ws = make.workspace(members={"viewer": viewer})
    add_indicators(api, ws)
    api.as_(ws.owner).post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot casting"})
    page = browser_login(browser_context(), live_server.url, viewer)
    page.goto(f"{live_server.url}/workspaces/{ws.id}/trials")
    expect(page.locator('[data-testid="milestones"]')).to_be_visible()
    expect(page.locator("form[data-milestone-edit], form[data-indicator-edit]")).to_have_count(0)
