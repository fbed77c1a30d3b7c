"""Issue 15, Everywhere: both languages complete. The notification settings
name every event type in words (20 of 29 rows used to be raw keys such as
`trial.alert`), and control-chart signals read in Chinese, loaded or live."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.trials.control_test_helpers import CYCLE, baseline_and_running
from tests.trials.factory import add_indicators, measure

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_notification_settings_name_every_event_in_chinese(make, live_server, browser_context):
    user = make.user(locale="zh-CN")
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, user)
    page.goto(f"{live_server.url}/settings/notifications")
    cells = page.locator("td[data-event-key]")
    expect(cells.first).to_be_visible()
    assert cells.count() >= 30
    for i in range(cells.count()):
        cell = cells.nth(i)
        key = cell.get_attribute("data-event-key")
        words = cell.inner_text().replace(f"({key})", "").strip()
        assert CJK.search(words), (key, words)
    radio = page.locator('input[name="event:trial.alert"][value="digest"]')
    assert CJK.search(radio.get_attribute("aria-label"))


def test_control_chart_signals_read_in_chinese_loaded_and_live(
    make, api, live_server, browser_context
):
    owner = make.user(locale="zh-CN")
    ws = make.workspace(owner=owner)
    add_indicators(api, ws, CYCLE)
    running = baseline_and_running(api, ws)
    measure(api, ws, running["id"], {"cycle_time_s": [63.9, 64.5]})  # an alert before loading
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    alerts = page.locator('#activity li[data-type="trial.alert"]')
    expect(alerts).to_have_count(1)
    expect(alerts.first).to_contain_text("一个点超出 3σ")
    measure(api, ws, running["id"], {"cycle_time_s": [58, 65.2]})  # and one arriving live
    expect(alerts).to_have_count(2)
    for i in range(2):
        text = alerts.nth(i).inner_text()
        assert "beyond" not in text and "σ" in text and CJK.search(text), text
