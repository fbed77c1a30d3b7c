"""Live: a line system's token posts measurements; a manager's Socket.IO feed
and an open Chromium page see them without reload."""

from __future__ import annotations

import requests

from tests.conftest import browser_login, wait_for
from tests.live import MARKUP
from tests.trials.factory import add_indicators, trial


def line_post(live_server, token, trial_id, items):
    return requests.post(
        f"{live_server.url}/api/v1/trials/{trial_id}/measurements",
        json=items,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_line_measurements_reach_a_managers_socket_feed(make, api, sio, live_server):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    watcher = sio.connect(token=make.token(ws.manager, ("read",)))
    assert watcher.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
    line_token = make.token(ws.owner, ("measurements:write",))
    resp = line_post(
        live_server,
        line_token,
        t["id"],
        [
            {"metric": "porosity_scrap_pct", "value": 1.3, "source": "PLC-3"},
            {"metric": "tensile_mpa", "value": 251, "source": "PLC-3"},
        ],
    )
    assert resp.status_code == 201, resp.text
    got = wait_for(
        lambda: [e for e in watcher.received if e["type"] == "trial.measurements_recorded"]
    )
    data = got[0]["data"]
    assert data["trial"]["id"] == t["id"] and data["count"] == 2
    assert data["outcome"] == "passed"
    assert data["results"]["tensile_mpa"] == {
        **data["results"]["tensile_mpa"],
        "value": 251,
        "met": True,
    }
    assert [m["source"] for m in data["latest"]] == ["PLC-3", "PLC-3"]


def test_trial_page_updates_live_without_reload(make, api, live_server, browser_context):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running", title="Vacuum on")
    page = browser_login(browser_context(), live_server.url, ws.partner)
    page.goto(f"{live_server.url}/trials/{t['id']}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    page.evaluate("window.__sameDocument = true")

    token = make.token(ws.owner, ("measurements:write",))
    assert (
        line_post(
            live_server,
            token,
            t["id"],
            [{"metric": "porosity_scrap_pct", "value": v} for v in (1.2, 1.4)],
        ).status_code
        == 201
    )
    gauge = page.locator('[data-testid="gauge-porosity_scrap_pct"]')
    gauge.locator('[data-role="value"]').filter(has_text="1.3").wait_for()
    assert "met" in gauge.get_attribute("class")
    page.locator('[data-testid="measurements"] tr').nth(1).wait_for()
    assert page.locator('[data-testid="measurement-count"]').inner_text() == "2"
    assert page.locator('[data-role="outcome"]').first.get_attribute("data-outcome") == "pending"

    assert (
        line_post(
            live_server, token, t["id"], [{"metric": "tensile_mpa", "value": 230}]
        ).status_code
        == 201
    )
    page.locator('[data-testid="gauge-tensile_mpa"].unmet').wait_for()
    page.locator('[data-role="outcome"][data-outcome="failed"]').first.wait_for()

    api.as_(ws.owner).patch(f"/trials/{t['id']}", json={"status": "completed"})
    page.locator('[data-role="status"][data-status="completed"]').first.wait_for()
    assert page.evaluate("window.__sameDocument") is True
    # The rows that arrived live are built as a reload builds them.
    rows = '[data-testid="measurements"] tr'
    live = page.eval_on_selector_all(rows, f"els => els.map({MARKUP})")
    assert len(live) == 3
    page.reload()
    assert page.eval_on_selector_all(rows, f"els => els.map({MARKUP})") == live


def test_journey_indicator_trial_measure_complete_next(make, live_server, browser_context):
    ws = make.workspace()
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    page.click('[data-testid="trials-link"]')
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')

    page.click("#indicators summary")
    form = page.locator('form[data-trials-form="indicator"]')
    form.locator('[name="key"]').fill("cycle_time_s")
    form.locator('[name="label"]').fill("Cycle time")
    form.locator('[name="unit"]').fill("s")
    form.locator('[name="comparator"]').select_option("<=")
    form.locator('[name="target"]').fill("62")
    form.locator('button[type="submit"]').click()
    page.locator('[data-indicator-key="cycle_time_s"]').wait_for()  # arrived live

    page.click("#iterations summary")
    plan = page.locator('form[data-trials-form="trial"]')
    plan.locator('[name="title"]').fill("Baseline run")
    plan.locator('[name="line"]').fill("Line 3")
    plan.locator('[name="parameters"]').fill("die_temp_c = 220\nvacuum = on")
    plan.locator('button[type="submit"]').click()
    page.wait_for_url("**/trials/*")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    page.click('[data-trial-action="running"]')
    page.locator('[data-role="status"][data-status="running"]').first.wait_for()

    rec = page.locator('form[data-trials-form="measurement"]')
    rec.locator('[name="value"]').fill("60.5")
    rec.locator('button[type="submit"]').click()
    page.locator('[data-testid="gauge-cycle_time_s"].met').wait_for()
    page.once("dialog", lambda d: d.accept())  # "Complete this trial?"
    page.click('[data-trial-action="completed"]')
    page.locator('[data-role="outcome"][data-outcome="passed"]').first.wait_for()

    page.click('[data-testid="next-iteration"] summary')
    page.click('[data-testid="plan-next"]')
    page.locator("text=Changed against #1").wait_for()
    assert page.locator('[data-role="status"]').first.get_attribute("data-status") == "planned"
