"""Owners and editors change a trial's hypothesis, parameters and baseline on
its page, guarded by If-Match; the API documents what the line may post."""

from __future__ import annotations

from tests.conftest import browser_login, wait_for
from tests.trials.factory import add_indicators, trial


def test_editing_a_trial_on_its_page_with_if_match(make, api, live_server, browser_context):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running", title="Vacuum on")
    api.as_(ws.owner).patch(
        f"/trials/{t['id']}",
        json={
            "hypothesis": "Vacuum removes air",
            "parameters": {"die_temp_c": 210, "vacuum": "on"},
        },
    )
    page = browser_login(browser_context(), live_server.url, ws.partner)  # an editor
    page.goto(f"{live_server.url}/trials/{t['id']}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')

    # Baseline: one click, stored at once.
    page.check('[data-testid="baseline-toggle"]')
    wait_for(lambda: api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["baseline"])

    # Hypothesis and parameters.
    page.click('[data-testid="trial-edit"] summary')
    form = page.locator("form[data-trial-edit]")
    assert form.locator('[name="parameters"]').input_value() == "die_temp_c = 210\nvacuum = on"
    form.locator('[name="hypothesis"]').fill("Vacuum and a hotter die")
    form.locator('[name="parameters"]').fill("die_temp_c = 225\nvacuum = on")
    form.locator('button[type="submit"]').click()
    page.locator('[data-testid="parameters"]').filter(has_text="225").wait_for()
    stored = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert stored["hypothesis"] == "Vacuum and a hotter die"
    assert stored["parameters"] == {"die_temp_c": 225, "vacuum": "on"} and stored["baseline"]

    # Someone else saves while this editor types: the save is refused (412),
    # says so, shows their version and stores nothing of ours.
    page.click('[data-testid="trial-edit"] summary')
    form.locator('[name="hypothesis"]').fill("Mine")
    api.as_(ws.owner).patch(f"/trials/{t['id']}", json={"hypothesis": "Owner's idea"})
    page.locator('[data-role="hypothesis-text"]').filter(has_text="Owner's idea").wait_for()
    assert form.locator('[name="hypothesis"]').input_value() == "Mine"  # not wiped
    form.locator('button[type="submit"]').click()
    form.locator(".error").filter(has_text="Someone else changed this trial").wait_for()
    assert form.locator('[name="hypothesis"]').input_value() == "Owner's idea"
    assert api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["hypothesis"] == "Owner's idea"

    # Viewers see no controls.
    viewer = make.user(side="enterprise")
    make.add_member(ws, viewer, "viewer")
    other = browser_login(browser_context(), live_server.url, viewer)
    other.goto(f"{live_server.url}/trials/{t['id']}")
    assert other.locator('[data-testid="baseline-toggle"]').count() == 0
    assert other.locator('[data-testid="trial-edit"]').count() == 0


def test_what_is_typed_before_the_page_scripts_run_is_kept(make, api, live_server, browser_context):
    # A page's modules run only after its HTML is shown, and a quick typist
    # (or a slow network) can fill the form in between. An update arriving
    # afterwards must not wipe that text, and its save still meets the 412.
    ws = make.workspace()
    t = trial(api, ws, "running", title="Vacuum on")
    page = browser_login(browser_context(), live_server.url, ws.partner)
    held = []
    page.route("**/static/js/pages/trial.js", lambda route: held.append(route))
    page.goto(f"{live_server.url}/trials/{t['id']}", wait_until="commit")
    page.click('[data-testid="trial-edit"] summary')
    page.locator('form[data-trial-edit] [name="hypothesis"]').fill("Typed early")
    # Playwright's sync API hands over the held request only inside its own
    # calls: wait with one of them, not with a plain poll.
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page never asked for its script"
    held[0].continue_()
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')

    api.as_(ws.owner).patch(f"/trials/{t['id']}", json={"hypothesis": "Owner's idea"})
    page.locator('[data-role="hypothesis-text"]').filter(has_text="Owner's idea").wait_for()
    form = page.locator("form[data-trial-edit]")
    assert form.locator('[name="hypothesis"]').input_value() == "Typed early"
    form.locator('button[type="submit"]').click()
    form.locator(".error").filter(has_text="Someone else changed this trial").wait_for()
    assert api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["hypothesis"] == "Owner's idea"


def test_openapi_documents_a_measurement_object_or_a_list_of_up_to_10000(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/trials/{trial_id}/measurements"]["post"]
    one, many = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert one == {"$ref": "#/components/schemas/MeasurementInput"}
    assert many["type"] == "array" and many["items"] == one and many["maxItems"] == 10000
    assert "413" in post["responses"] and "10,000" in post["description"]
    ics = doc["paths"]["/workspaces/{workspace_id}/milestones.ics"]["get"]["responses"]["200"]
    assert list(ics["content"]) == ["text/calendar"]
