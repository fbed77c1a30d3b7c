"""Issue 15, Everywhere: counts use gettext's plural forms (no "1 measurements"),
on the server and in script, in English and Chinese."""

from __future__ import annotations

from tests.conftest import browser_login
from tests.trials.control_test_helpers import CYCLE, baseline_and_running
from tests.trials.factory import add_indicators, measure


def _board(app, user, ws):
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    return client.get(f"/workspaces/{ws.id}/trials").get_data(as_text=True)


def test_counts_on_pages_take_the_right_form(app, make, api):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    running = baseline_and_running(api, ws)
    measure(api, ws, running["id"], {"cycle_time_s": [60.2]})
    board = _board(app, ws.owner, ws)
    assert "1 measurement<" in board.replace("</span>", "<") and "1 measurements" not in board
    assert "8 measurements" in board
    assert "1 measurement recorded for trial" in board  # the activity list too
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password})
    trial_page = client.get(f"/trials/{running['id']}").get_data(as_text=True)
    assert "baseline: 1 trial<" in trial_page.replace("</span>", "<")
    api.as_(ws.owner).patch("/me", json={"locale": "zh-CN"})
    assert "1 条测量" in _board(app, ws.owner, ws)


def test_script_picks_the_plural_form_of_the_readers_language(make, live_server, browser_context):
    table = "{'n.one': '{count} reading imported.', 'n.other': '{count} readings imported.'}"
    for locale, one, two in (
        ("en", "1 reading imported.", "2 readings imported."),
        ("zh-CN", "1 readings imported.", "2 readings imported."),
    ):
        user = make.user(locale=locale)
        page = browser_login(browser_context(locale=locale), live_server.url, user)
        got = page.evaluate(
            f"[JL.plural({table}, 'n', 1, {{count: 1}}), JL.plural({table}, 'n', 2, {{count: 2}})]"
        )
        # Chinese has one form ("other"): the page hands it the same sentence for both.
        assert got == [one, two], (locale, got)
