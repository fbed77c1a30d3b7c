"""A program manager in Chromium: the dashboard updates live, resumes after
the network drops with nothing missed or doubled, and exports its table."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import browser_login
from tests.portfolios.builders import milestone, reach, world

ROW = 'tr[data-workspace-id="{}"] [data-field="{}"]'


def test_dashboard_is_live_and_resumes_after_going_offline(
    live_server, browser_context, make, api, worker
):
    w = world(make, api)
    first = milestone(api, w.by_org, "Pilot casting", due_in_days=2)
    second = milestone(api, w.by_org, "Scrap below 1.5%", due_in_days=9)
    assert (
        api.as_(w.manager)
        .put(f"/milestones/{first['id']}/funding", json={"amount": "5000", "currency": "CNY"})
        .status_code
        == 200
    )
    page = browser_login(browser_context(), live_server.url, w.manager)
    page.click('[data-testid="nav-dashboard"]')
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    table = page.inner_text('[data-testid="dashboard"]')
    assert "Acme porosity" in table and "Weld seams" in table
    assert "Secret furnace" not in table
    reached = ROW.format(w.by_org.id, "reached")
    assert page.inner_text(reached) == "0"
    assert page.inner_text("[data-total-funding]") == "0.00 / 5000.00 CNY"

    # Reached through the API: the row's counts and the feed change at once.
    reach(api, w.by_org, first["id"])
    page.wait_for_selector(f'{reached}:text-is("1")')
    assert page.inner_text(ROW.format(w.by_org.id, "open")) == "1"
    assert "Scrap below 1.5%" in page.inner_text(ROW.format(w.by_org.id, "next_milestone"))
    page.wait_for_selector(
        '#milestone-feed li[data-type="milestone.reached"]:has-text("Pilot casting")'
    )
    page.wait_for_selector('[data-total="reached"]:text-is("1")')
    page.wait_for_function(
        "document.querySelector('[data-total-funding]').innerText === '5000.00 / 5000.00 CNY'"
    )  # funds released, live
    # Events of workspaces outside the portfolio never arrive.
    hidden = milestone(api, w.outside, "Furnace relining")
    reach(api, w.outside, hidden["id"])

    # Offline: what happens meanwhile shows up once, after reconnecting.
    page.context.set_offline(True)
    page.wait_for_selector('[data-testid="connection"][data-state="reconnecting"]', timeout=45_000)
    reach(api, w.by_org, second["id"])
    late = milestone(api, w.by_hand, "Seam audit", due_in_days=-1)
    page.context.set_offline(False)
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]', timeout=45_000)
    page.wait_for_selector('#milestone-feed li:has-text("Scrap below 1.5%")')
    page.wait_for_selector(f'{reached}:text-is("2")')
    page.wait_for_selector(f'{ROW.format(w.by_hand.id, "overdue")}:text-is("1")')
    page.wait_for_selector(f'#milestone-feed li[data-event-id]:has-text("{late["title"]}")')
    ids = page.eval_on_selector_all(
        "#milestone-feed li[data-event-id]", "els => els.map(e => Number(e.dataset.eventId))"
    )
    assert len(ids) == len(set(ids)), ids
    assert ids == sorted(ids, reverse=True)
    feed_text = page.inner_text("#milestone-feed")
    assert "Furnace relining" not in feed_text
    assert feed_text.count("Milestone reached: Scrap below 1.5%") == 1
    # The feed links to the thing.
    href = page.get_attribute(
        '#milestone-feed li[data-type="milestone.reached"]:has-text("Scrap below 1.5%") a', "href"
    )
    assert href == f"/workspaces/{w.by_org.id}#milestone-{second['id']}"
    feed_page = page.context.new_page()
    feed_page.goto(live_server.url + href)
    target = feed_page.wait_for_selector(":target")
    assert "Scrap below 1.5%" in target.inner_text()
    assert target.is_visible()
    feed_page.close()

    # Export the table from the page, with progress, then a download link.
    page.click('button[data-export="csv"]')
    link = page.wait_for_selector('[data-testid="export-download"]')
    with page.expect_download() as download:
        link.click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Acme porosity" in body and "Secret furnace" not in body


def test_dashboard_filters_timeline_and_chinese(live_server, browser_context, make, api):
    w = world(make, api)
    milestone(api, w.by_hand, "焊缝检测", due_in_days=-3)
    done = milestone(api, w.by_org, "Kick-off", due_in_days=-5)
    reach(api, w.by_org, done["id"])
    with_zh = make.user(role="manager", locale="zh-CN", name="李主任")
    api.as_(w.admin).put(
        f"/managers/{with_zh.id}/portfolio", json={"workspace_ids": [w.by_org.id, w.by_hand.id]}
    )
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, with_zh)
    page.goto(f"{live_server.url}/dashboard")
    assert page.inner_text("h1") == "项目组合看板"
    page.check('input[name="overdue"]')
    page.click('[data-testid="filters"] button[type="submit"]')
    page.wait_for_url("**overdue=true**")
    rows = page.locator('[data-testid="dashboard"] tbody tr')
    assert rows.count() == 1 and "Weld seams" in rows.first.inner_text()
    page.fill('input[name="q"]', "acme")
    page.uncheck('input[name="overdue"]')
    page.click('[data-testid="filters"] button[type="submit"]')
    page.wait_for_url("**q=acme**")
    assert "Acme porosity" in page.inner_text('[data-testid="dashboard"] tbody')
    assert "Weld seams" not in page.inner_text('[data-testid="dashboard"] tbody')
    page.click('th a[data-sort="overdue"]')
    page.wait_for_url("**sort=overdue**")

    # Pages of rows (100 by default; one here): totals cover every row.
    page.goto(f"{live_server.url}/dashboard?limit=1&sort=title")
    assert page.inner_text('[data-testid="pager"] span') == "第 1–1 个，共 2 个"
    assert page.inner_text('[data-total="workspaces"]') == "2"
    assert "Acme porosity" in page.inner_text('[data-testid="dashboard"] tbody')
    page.click('[data-testid="pager"] a[rel="next"]')
    page.wait_for_url("**cursor=1**")
    body = page.inner_text('[data-testid="dashboard"] tbody')
    assert "Weld seams" in body and "Acme porosity" not in body
    assert page.inner_text('[data-testid="pager"] span') == "第 2–2 个，共 2 个"
    page.click('[data-testid="pager"] a[rel="prev"]')
    page.wait_for_selector('[data-testid="dashboard"] tbody:has-text("Acme porosity")')

    page.click("text=时间轴")
    page.wait_for_selector('[data-testid="timeline"]')
    assert page.locator('g.mark[data-kind="overdue"]').count() == 1
    assert page.locator('g.mark[data-kind="late"], g.mark[data-kind="on_time"]').count() == 1
    assert "Secret furnace" not in page.content()
