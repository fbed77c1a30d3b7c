"""Issue 15, Trust: dates and times are written by one formatter, in the
reader's time zone (their setting, not the browser's) and language, the same
on load and after a live update. The dashboard feed used to mix three zones
(the day heading in one, items in another, live items in a third) and a due
date read "1/1/1999, 12:00:00 AM" on load but "Dec 20, 2026" after a refresh."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.portfolios.builders import milestone, reach, world

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _shanghai_clock(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(SHANGHAI).strftime("%H:%M")


def test_dashboard_times_follow_the_readers_zone_on_load_and_live(
    make, api, live_server, browser_context
):
    w = world(make, api)
    assert api.as_(w.manager).patch("/me", json={"timezone": "Asia/Shanghai"}).status_code == 200
    due = date.today() + timedelta(days=14)
    first = milestone(api, w.by_org, "Pilot casting", due_in_days=None)
    milestone(api, w.by_org, "Scrap below 1.5%", due_in_days=14)
    reach(api, w.by_org, first["id"])  # rendered by the server

    # The browser sits in Los Angeles: 15 or 16 hours behind the reader's setting.
    page = browser_login(
        browser_context(timezone_id="America/Los_Angeles"), live_server.url, w.manager
    )
    page.goto(f"{live_server.url}/dashboard")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    expected_due = f"{due:%b} {due.day}, {due.year}"
    next_due = page.locator(f'tr[data-workspace-id="{w.by_org.id}"] time.due')
    expect(next_due).to_have_text(expected_due)

    # A live event: the row is re-read and the feed gains an item.
    later = milestone(api, w.by_org, "Line 2 rollout", due_in_days=30)
    reach(api, w.by_org, later["id"])
    page.wait_for_selector('#milestone-feed li[data-event-id]:has-text("Line 2 rollout")')
    expect(next_due).to_have_text(expected_due)  # the same words after the live refresh

    today_there = datetime.now(SHANGHAI).date()
    heading = f"{today_there:%A}, {today_there:%B} {today_there.day}, {today_there.year}"
    days = page.locator("#milestone-feed li.day")
    expect(days).to_have_count(1)  # both events fall on the reader's today
    expect(days.locator("h3")).to_have_text(heading)
    items = page.locator("#milestone-feed li[data-event-id] time")
    assert items.count() >= 2
    for i in range(items.count()):
        when = items.nth(i)
        assert when.inner_text() == _shanghai_clock(when.get_attribute("datetime"))


def test_milestone_due_dates_are_calendar_days_in_the_readers_language(
    make, api, live_server, browser_context
):
    ws = make.workspace(title="Weld seams")
    owner = ws.owner
    api.as_(owner).patch("/me", json={"locale": "zh-CN", "timezone": "Asia/Shanghai"})
    made = api.as_(owner).post(
        f"/workspaces/{ws.id}/milestones", json={"title": "首件检验", "due_date": "2027-01-01"}
    )
    assert made.status_code == 201
    # West of Greenwich, a day-only date read as midnight UTC would turn into
    # the evening before.
    page = browser_login(
        browser_context(locale="zh-CN", timezone_id="America/Los_Angeles"), live_server.url, owner
    )
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    due = page.locator(f"#milestone-{made.get_json()['id']} time").first
    expect(due).to_have_text("2027年1月1日")
