"""Trial parameters typed as "name = value" lines: every line that cannot be read
is an error naming it (REST 422 and next to the field in the page); nothing is
stored, and `name =` is never stored as an empty string."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.trials.factory import trial
from workspace.trials.parameter_text import parse_lines


def _trials(api, ws):
    return api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"]


def test_parse_lines_reports_every_unreadable_line():
    params, problems = parse_lines(
        "die_temp_c = 220\n\nspeed\n= 3\nvacuum =\n"
        "die_temp_c = 230\nalloy = A356 \nratio = 1.5e0\nx = nan"
    )
    assert params == {"die_temp_c": 220, "alloy": "A356", "ratio": 1.5, "x": "nan"}
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "vacuum" in problems[2] and "twice" in problems[3]


def test_rest_422_names_each_line_and_stores_nothing(api, make):
    ws = make.workspace()
    before = _trials(api, ws)
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/trials",
        json={"title": "T", "parameters": "die_temp_c = 220\nvacuum_kpa\nshot_speed =\n"},
    )
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    msgs = err["fields"]["parameters"]
    assert any(m.startswith("line 2:") for m in msgs)
    assert any(m.startswith("line 3:") and "shot_speed" in m for m in msgs)
    assert _trials(api, ws) == before
    # An empty value in the object form is refused as well.
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/trials", json={"title": "T", "parameters": {"shot_speed": "  "}}
    )
    assert resp.status_code == 422 and "shot_speed" in str(resp.get_json()["error"]["fields"])
    assert _trials(api, ws) == before


def test_rest_text_parameters_stored_typed_and_patch_checks_lines(api, make):
    ws = make.workspace()
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/trials",
        json={"title": "T", "parameters": "die_temp_c = 220\r\n\r\nalloy = A356\nratio = 0.5"},
    )
    assert resp.status_code == 201, resp.get_json()
    t = resp.get_json()
    assert t["parameters"] == {"die_temp_c": 220, "alloy": "A356", "ratio": 0.5}
    bad = api.as_(ws.owner).patch(f"/trials/{t['id']}", json={"parameters": "a = 1\nb"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"]["parameters"] == [
        "line 2: no “=”; write name = value."
    ]
    again = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert again["parameters"] == t["parameters"]


def test_plan_a_trial_shows_each_bad_line_next_to_the_field(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    trial(api, ws, "planned", title="Existing")
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}/trials")
    page.click("text=Plan a trial")
    form = page.locator('form[data-trials-form="trial"]')
    form.locator('input[name="title"]').fill("With typos")
    form.locator('textarea[name="parameters"]').fill("die_temp_c = 220\nvacuum_kpa 8\nshot_speed =")
    form.locator('button[type="submit"]').click()
    err = form.locator('[data-testid="parameters-error"]')
    expect(err).to_be_visible()
    expect(err).to_contain_text("Line 2")
    expect(err).to_contain_text("Line 3: shot_speed has no value")
    expect(form.locator('textarea[name="parameters"]')).to_have_attribute("aria-invalid", "true")
    assert [t["title"] for t in _trials(api, ws)] == ["Existing"]
    # Fixed lines are accepted and stored as typed.
    form.locator('textarea[name="parameters"]').fill("die_temp_c = 220\nvacuum_kpa = 8")
    form.locator('button[type="submit"]').click()
    expect(err).to_be_hidden()
    page.wait_for_url(f"{live_server.url}/trials/*")
    made = [t for t in _trials(api, ws) if t["title"] == "With typos"]
    assert made and made[0]["parameters"] == {"die_temp_c": 220, "vacuum_kpa": 8}
