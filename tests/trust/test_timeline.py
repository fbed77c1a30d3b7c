"""Issue 15, Trust: the timeline stays readable when one milestone is due
years away (the axis used to span decades and labels smeared), and markers
carry their titles."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.portfolios.builders import milestone


def _due(api, ws, title, due):
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones", json={"title": title, "due_date": due.isoformat()}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _plan(make, api):
    manager = make.manager("PM Zhao")
    ws = make.workspace(title="Casting porosity")
    api.as_(make.admin()).put(f"/managers/{manager.id}/portfolio", json={"workspace_ids": [ws.id]})
    near = [
        milestone(api, ws, title, due_in_days=days)
        for title, days in (
            ("Pilot casting", 12),
            ("Scrap below 1.5%", 75),
            ("Line 2 rollout", 160),
        )
    ]
    far = _due(api, ws, "Plant-wide adoption", date(2045, 6, 30))
    return manager, ws, near, far


def _boxes(page, selector):
    return page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const b = e.getBBox(); "
        "return [b.x, b.y, b.x + b.width, b.y + b.height, e.textContent]; })",
    )


def _overlapping(boxes):
    return [
        (a[4], b[4])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_an_outlier_is_pinned_and_the_rest_stays_readable(make, api, live_server, browser_context):
    manager, ws, near, far = _plan(make, api)
    page = browser_login(browser_context(), live_server.url, manager)
    page.goto(f"{live_server.url}/dashboard/timeline")
    svg = page.locator('[data-testid="timeline"]')
    expect(svg).to_be_visible()

    # The far milestone sits at the right edge, saying when it is due.
    pinned = page.locator(f'g.mark[data-milestone-id="{far["id"]}"]')
    expect(pinned).to_have_attribute("data-beyond", "after")
    expect(pinned.locator('[data-testid="beyond"]')).to_contain_text("2045")
    expect(page.locator('[data-testid="window"]')).to_contain_text("1 milestone lies outside")

    # The near ones spread over the axis instead of sharing a few pixels.
    xs = [
        page.locator(f'g.mark[data-milestone-id="{m["id"]}"] path.due').bounding_box()["x"]
        for m in near
    ]
    width = svg.bounding_box()["width"]
    assert xs == sorted(xs) and xs[-1] - xs[0] > width * 0.4, (xs, width)

    # Tick labels are years apart at most, and none overlaps another.
    ticks = _boxes(page, "text.tick-label")
    assert 3 <= len(ticks) <= 14, ticks
    assert not _overlapping(ticks)
    # Every marker carries its title; those written beside it do not collide.
    for m in near + [far]:
        title = page.locator(f'g.mark[data-milestone-id="{m["id"]}"] > title')
        expect(title).to_contain_text(m["title"])
    labels = _boxes(page, "text.mark-label")
    assert {b[4] for b in labels} >= {"Pilot casting", "Scrap below 1.5%", "Line 2 rollout"}
    assert not _overlapping(labels + ticks)
    # A marker leads to its milestone on the workspace page.
    page.locator(f'g.mark[data-milestone-id="{near[0]["id"]}"] text.mark-label').click()
    page.wait_for_url(f"**/workspaces/{ws.id}#milestone-{near[0]['id']}")


def test_the_window_note_speaks_chinese(make, api, live_server, browser_context):
    manager, _ws, _near, _far = _plan(make, api)
    manager_zh = make.user(role="manager", locale="zh-CN", name="赵经理")
    api.as_(make.admin()).put(
        f"/managers/{manager_zh.id}/portfolio", json={"workspace_ids": [_ws.id]}
    )
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, manager_zh)
    page.goto(f"{live_server.url}/dashboard/timeline")
    expect(page.locator('[data-testid="window"]')).to_contain_text("1 个里程碑")


def test_layout_without_outliers_keeps_every_date_on_the_axis(app, make, api):
    from workspace.dashboard import timeline
    from workspace.db import db

    manager, ws, near, _far = _plan(make, api)
    with app.app_context(), db.reading() as s:
        from workspace.auth.models import User

        chart = timeline.build(s, s.get(User, manager.id))
    marks = {m.milestone_id: m for r in chart["rows"] for m in r.marks}
    assert all(marks[m["id"]].beyond is None for m in near)
    assert marks[_far["id"]].beyond == "after"
    assert chart["today_x"] is not None
    assert (chart["end"] - chart["start"]).days <= timeline.MAX_SPAN.days + 14
