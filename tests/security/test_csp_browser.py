"""Item 15 in Chromium: every main page loads under the CSP with no violation
reported, and its live parts still work."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.documents.test_documents_api import statement_of
from tests.trials.factory import GOOD, add_indicators, run_trial, trial

# Installed before any page script: records what the browser refused.
PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(location.pathname + ': ' + e.effectiveDirective + ' ' +
                    (e.blockedURI || '') + ' ' + (e.sample || ''));
});
"""


class Watch:
    """Every violation a page reports, from the DOM event and the console."""

    def __init__(self, context):
        self.console: list[str] = []
        context.add_init_script(PROBE)
        context.on(
            "console",
            lambda msg: (
                self.console.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        self.pages: list = []

    def track(self, page):
        self.pages.append(page)
        return page

    def visit(self, page, url):
        resp = page.goto(url)
        assert "script-src 'self'" in resp.headers["content-security-policy"], url
        page.wait_for_load_state("load")
        return resp

    def violations(self):
        found = [
            v
            for page in self.pages
            if not page.is_closed()
            for v in page.evaluate("window.__csp || []")
        ]
        return found + self.console


def test_every_main_page_runs_under_the_csp(live_server, browser_context, make, api):
    base = live_server.url
    ws = make.workspace(title="Porosity on line 3")
    add_indicators(api, ws)
    run_trial(api, ws, GOOD)
    running = trial(api, ws, "running")
    api.as_(ws.owner).post(
        f"/trials/{running['id']}/measurements",
        json=[{"metric": "porosity_scrap_pct", "value": 1.1}],
    )
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones",
        json={
            "title": "Two good trials",
            "criteria": {"indicators": "all", "consecutive_trials": 2},
        },
    )
    doc = statement_of(api, ws)

    anonymous = browser_context()
    watch_anon = Watch(anonymous)
    login_page = watch_anon.track(anonymous.new_page())
    watch_anon.visit(login_page, f"{base}/login")
    watch_anon.visit(login_page, f"{base}/api/v1/docs")
    expect(login_page.locator("#swagger .opblock").first).to_be_visible()  # its scripts ran

    owner_ctx = browser_context()
    watch = Watch(owner_ctx)
    page = watch.track(browser_login(owner_ctx, base, ws.owner))
    watch.visit(page, f"{base}/workspaces/{ws.id}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    # The milestone's progress bar (1 of 2 good trials) gets its width from script.
    bar = page.locator('[data-testid^="progress-"] span').first
    expect(bar).to_have_attribute("data-width", "50")
    assert page.evaluate("(el) => el.style.width", bar.element_handle()) == "50%"
    # Live: an event made elsewhere shows up.
    api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"summary": "CSP on"})
    page.wait_for_selector('#activity li[data-type="workspace.updated"]')
    # The answer form (its script moved out of the template) still creates a document.
    page.fill('form[data-action="create-answer"] input[name="title"]', "Proposal: vacuum")
    page.click('form[data-action="create-answer"] button[type="submit"]')
    page.wait_for_url(f"{base}/documents/*")

    for path in (
        f"/workspaces/{ws.id}/trials",
        f"/trials/{running['id']}",
        f"/workspaces/{ws.id}/webhooks",
        "/settings/notifications",
        "/settings/password",
        "/account/sessions",
        "/workspaces",
        "/workspaces/999999",
    ):
        watch.visit(page, base + path)
        if path.startswith("/trials/"):
            gauge = page.locator('[data-testid="gauge-porosity_scrap_pct"] [data-role="bar"]')
            assert page.evaluate("(el) => el.style.width", gauge.element_handle()) != ""

    # The editor, with a second person: text, presence colours and the remote
    # cursor (its colour is the one style attribute allowed, by hash).
    partner_ctx = browser_context()
    watch_partner = Watch(partner_ctx)
    other = watch_partner.track(browser_login(partner_ctx, base, ws.partner))
    for p, w in ((page, watch), (other, watch_partner)):
        w.visit(p, f"{base}/documents/{doc['id']}")
        expect(p.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    other.locator(".cm-content").click()
    other.keyboard.press("Control+End")
    other.keyboard.type("\n\n| a | b |\n|:-:|--:|\n| 1 | 2 |\n")
    expect(page.locator(".cm-content")).to_contain_text("| 1 | 2 |")
    caret = page.locator(".cm-ySelectionCaret").first
    expect(caret).to_be_visible()
    colour = page.evaluate("(el) => getComputedStyle(el).backgroundColor", caret.element_handle())
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent", "")
    me = page.locator('[data-testid="presence"] li[data-self]')
    assert page.evaluate("(el) => el.style.background", me.element_handle()) != ""
    cell = page.locator('[data-testid="preview"] td.align-center')
    expect(cell).to_have_text("1")
    assert (
        page.evaluate("(el) => getComputedStyle(el).textAlign", cell.element_handle()) == "center"
    )

    manager_ctx = browser_context()
    watch_manager = Watch(manager_ctx)
    board = watch_manager.track(browser_login(manager_ctx, base, ws.manager))
    watch_manager.visit(board, f"{base}/dashboard")
    board.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    watch_manager.visit(board, f"{base}/dashboard/timeline")

    found = [v for w in (watch_anon, watch, watch_partner, watch_manager) for v in w.violations()]
    assert found == []
