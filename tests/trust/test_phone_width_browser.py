"""Issue 15, Everywhere: every page works at phone width (390 px): nothing
scrolls sideways; wide tables and charts scroll inside their own box; and the
dashboard's table fits or scrolls at 1366 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.documents.test_documents_api import statement_of
from tests.trials.factory import GOOD, add_indicators, run_trial, trial

OVERFLOW = """() => {
  const doc = document.scrollingElement;
  const over = doc.scrollWidth - doc.clientWidth;
  if (over <= 1) return null;
  // Name the widest culprits: elements poking out of the viewport that are not
  // inside a box that scrolls sideways.
  const scrolls = (p) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX);
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) if (scrolls(p)) return true;
    return false;
  };
  const name = (el) => el.tagName.toLowerCase()
    + (el.className ? '.' + String(el.className).split(' ')[0] : '')
    + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '')
    + ' ' + Math.round(el.getBoundingClientRect().right);
  const out = [...document.querySelectorAll('body *')].filter((el) =>
    el.getBoundingClientRect().right > doc.clientWidth + 1 && !inScroller(el));
  return {over, out: out.slice(0, 5).map(name)};
}"""


def _world(make, api):
    manager = make.manager("PM Zhou")
    ws = make.workspace(title="Porosity on line 3 — a rather long workspace title that wraps")
    api.as_(make.admin()).put(f"/managers/{manager.id}/portfolio", json={"workspace_ids": [ws.id]})
    add_indicators(api, ws)
    done = run_trial(api, ws, GOOD)
    running = trial(api, ws, "running", parameters="die_temp_c = 220\nvacuum_kpa = 8")
    m = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/milestones",
            json={
                "title": "Two good trials",
                "criteria": {"indicators": "all", "consecutive_trials": 2},
            },
        )
        .get_json()
    )
    doc = statement_of(api, ws)
    return manager, ws, done, running, m, doc


@pytest.mark.parametrize("width", [390])
def test_no_page_scrolls_sideways_on_a_phone(make, api, live_server, browser_context, width):
    manager, ws, done, running, m, doc = _world(make, api)
    base = live_server.url
    ctx = browser_context()
    page = browser_login(ctx, base, ws.owner)
    page.set_viewport_size({"width": width, "height": 800})
    owner_pages = [
        "/workspaces",
        f"/workspaces/{ws.id}",
        f"/documents/{doc['id']}",
        f"/workspaces/{ws.id}/trials",
        f"/trials/{done['id']}",
        f"/trials/{running['id']}",
        f"/workspaces/{ws.id}/trials/compare?ids={done['id']}&ids={running['id']}",
        f"/milestones/{m['id']}",
        f"/workspaces/{ws.id}/files",
        f"/workspaces/{ws.id}/webhooks",
        "/settings/notifications",
        "/settings/password",
        "/account/sessions",
        "/account/tokens",
        "/api/v1/docs",
    ]
    problems = {}
    for path in owner_pages:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        found = page.evaluate(OVERFLOW)
        if found:
            problems[path] = found
    boss = browser_login(browser_context(), base, manager)
    boss.set_viewport_size({"width": width, "height": 800})
    for path in ("/dashboard", "/dashboard/timeline"):
        boss.goto(base + path)
        boss.wait_for_load_state("networkidle")
        found = boss.evaluate(OVERFLOW)
        if found:
            problems[path] = found
    anon = browser_context().new_page()
    anon.set_viewport_size({"width": width, "height": 800})
    anon.goto(base + "/login")
    if anon.evaluate(OVERFLOW):
        problems["/login"] = anon.evaluate(OVERFLOW)
    assert not problems, problems


def test_dashboard_table_fits_or_scrolls_at_1366(make, api, live_server, browser_context):
    manager, *_ = _world(make, api)
    page = browser_login(browser_context(), live_server.url, manager)
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server.url}/dashboard")
    expect(page.locator('[data-testid="dashboard"]')).to_be_visible()
    assert page.evaluate(OVERFLOW) is None
    # Every column is on screen or reachable by scrolling the table's own box.
    hidden = page.evaluate("""() => {
      const table = document.querySelector('[data-testid="dashboard"]');
      const box = table.closest('.table-scroll') || document.scrollingElement;
      return [...table.querySelectorAll('thead th')].filter((th) =>
        th.getBoundingClientRect().right > box.getBoundingClientRect().left + box.scrollWidth + 1
      ).map((th) => th.textContent.trim());
    }""")
    assert hidden == []
