"""Issue 15, Editing comfort: completing a trial asks first, and "Start the
next iteration" opens a form prefilled from the parent instead of creating an
untitled trial at once; the child is planned with exactly what the form shows."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import browser_login


def _running_trial(api, ws):
    made = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/trials",
        json={
            "title": "Vacuum die casting",
            "line": "Line 3",
            "batch": "B-17",
            "parameters": "die_temp_c = 220\nvacuum_kpa = 8",
        },
    )
    assert made.status_code == 201, made.get_json()
    trial = made.get_json()
    assert (
        api.as_(ws.owner).patch(f"/trials/{trial['id']}", json={"status": "running"}).status_code
        == 200
    )
    return trial


def test_complete_asks_first_and_the_next_iteration_is_a_prefilled_form(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    parent = _running_trial(api, ws)
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/trials/{parent['id']}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')

    # Cancelling the question leaves the trial running.
    page.once("dialog", lambda d: d.dismiss())
    page.click('[data-trial-action="completed"]')
    page.wait_for_timeout(300)
    assert api.as_(ws.owner).get(f"/trials/{parent['id']}").get_json()["status"] == "running"
    page.once("dialog", lambda d: d.accept())
    page.click('[data-trial-action="completed"]')
    page.locator('[data-role="status"][data-status="completed"]').first.wait_for()

    # Opening the form creates nothing; it shows the parent's line and parameters.
    before = api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"]
    page.click('[data-testid="next-iteration"] summary')
    form = page.locator("form[data-trial-next]")
    expect(form.locator('[name="line"]')).to_have_value("Line 3")
    expect(form.locator('[name="title"]')).to_have_value("Vacuum die casting")
    expect(form.locator('[name="parameters"]')).to_have_value("die_temp_c = 220\nvacuum_kpa = 8")
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"] == before

    # An unreadable line is named next to the field; nothing is created.
    form.locator('[name="parameters"]').fill("die_temp_c = 235\nvacuum_kpa")
    form.locator('[data-testid="plan-next"]').click()
    expect(form.locator('[data-testid="parameters-error"]')).to_contain_text("Line 2")
    assert len(api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"]) == 1

    # A parameter removed in the form is not carried over from the parent.
    form.locator('[name="parameters"]').fill("die_temp_c = 235")
    form.locator('[name="hypothesis"]').fill("Hotter die, no vacuum: fewer cold shuts")
    form.locator('[data-testid="plan-next"]').click()
    page.wait_for_url(re.compile(rf".*/trials/(?!{parent['id']}$)\d+$"))
    expect(page.locator('[data-testid="parameter-changes"]')).to_contain_text("die_temp_c")
    child = api.as_(ws.owner).get(f"/trials/{page.url.rsplit('/', 1)[1]}").get_json()
    assert child["parent_id"] == parent["id"] and child["status"] == "planned"
    assert child["parameters"] == {"die_temp_c": 235}
    assert child["line"] == "Line 3" and child["hypothesis"].startswith("Hotter die")
