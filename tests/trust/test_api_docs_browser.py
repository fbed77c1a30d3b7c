"""Issue 15, "Everywhere": the API docs page renders the OpenAPI document in a
maintained viewer (Swagger UI, bundled, no CDN, under the page CSP): every
route with its schemas, tried out with the reader's own session or token."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login


def _violations(page):
    found = []
    page.on(
        "console",
        lambda m: (
            found.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text
            else None
        ),
    )
    return found


def _external_requests(context, base):
    seen = []
    context.on(
        "request",
        lambda r: (
            seen.append(r.url)
            if not r.url.startswith(base) and not r.url.startswith("data:")
            else None
        ),
    )
    return seen


def test_try_it_out_with_the_session_and_with_a_token(make, live_server, browser_context):
    base = live_server.url
    user = make.user(name="Wang Fang")
    ctx = browser_context()
    outside = _external_requests(ctx, base)
    page = browser_login(ctx, base, user)
    violations = _violations(page)
    page.click('[data-testid="current-user"]')
    page.click('[data-testid="nav-api-docs"]')
    expect(page.locator('[data-testid="api-signed-in"]')).to_contain_text("Wang Fang")
    # Every route is listed; one opens with its parameters and response schema.
    ops = page.locator("#swagger .opblock")
    expect(ops.first).to_be_visible(timeout=20_000)
    assert ops.count() > 60
    me = page.locator('#swagger .opblock-get:has(.opblock-summary-path[data-path="/me"])').first
    me.locator(".opblock-summary").click()
    expect(me.locator(".responses-wrapper")).to_contain_text("200")
    # Try it out runs as this browser's session.
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    body = me.locator(".responses-wrapper .live-responses-table .response-col_description pre")
    expect(body.first).to_contain_text(user.email, timeout=15_000)

    # A write through the viewer carries the page's CSRF token (a cookie write without it is 403).
    patch = page.locator(
        '#swagger .opblock-patch:has(.opblock-summary-path[data-path="/me"])'
    ).first
    patch.locator(".opblock-summary").click()
    patch.locator("button.try-out__btn").click()
    patch.locator("textarea.body-param__text").fill('{"name": "Wang Fang (docs)"}')
    patch.locator("button.execute").click()
    expect(
        patch.locator(".live-responses-table .response .response-col_status").first
    ).to_have_text("200", timeout=15_000)
    expect(page.locator('[data-testid="current-user"]')).to_have_text("Wang Fang")  # not reloaded
    page.reload()
    expect(page.locator('[data-testid="current-user"]')).to_have_text("Wang Fang (docs)")
    assert not violations, violations
    assert not outside, outside  # nothing from a CDN or swagger.io


def test_anonymous_readers_try_routes_with_a_token(make, live_server, browser_context):
    base = live_server.url
    user = make.user()
    token = make.token(user, ("read",))
    page = browser_context().new_page()
    violations = _violations(page)
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator('[data-testid="api-anonymous"]')).to_be_visible()
    page.locator("#swagger button.authorize").click()
    dialog = page.locator("#swagger .auth-container:has-text('bearer')")
    dialog.locator("input").fill(token)
    dialog.locator("button.authorize").click()
    page.locator("#swagger button.close-modal").click()
    me = page.locator('#swagger .opblock-get:has(.opblock-summary-path[data-path="/me"])').first
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    body = me.locator(".responses-wrapper .live-responses-table .response-col_description pre")
    expect(body.first).to_contain_text(user.email, timeout=15_000)
    assert not violations, violations


def test_the_docs_page_speaks_chinese(make, live_server, browser_context):
    user = make.user(locale="zh-CN")
    page = browser_login(browser_context(locale="zh-CN"), live_server.url, user)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator('[data-testid="api-intro"] h1')).to_have_text("JointLab API v1")
    expect(page.locator('[data-testid="api-signed-in"]')).to_contain_text("以你的身份")
