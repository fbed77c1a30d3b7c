"""Item 14: after login (and a language switch) the browser stays on this site,
whatever `next` says."""

from __future__ import annotations

import html
import re

import pytest

from workspace.pages.safe_url import is_local_path

# Known open-redirect bypasses (OWASP, PortSwigger, Django and Werkzeug advisories):
# each would leave the site if it reached the Location header as given.
BYPASSES = [
    "/\t/evil.example/phish",  # the reported one: /%09/evil.example/phish
    "//evil.example/phish",
    "///evil.example/phish",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\x0b/evil.example",
    "\u3000//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "http:/evil.example",
    "https:///evil.example",
    "HtTpS://evil.example",
    "//evil.example@127.0.0.1",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "%2F%2Fevil.example",  # decoded once by the server: a relative path
    "/%09/evil.example",  # still encoded after one decode: allowed below
]
# Paths on this site, as login_required and the language switch produce them.
LOCAL = [
    "/workspaces",
    "/workspaces/12?tab=trials",
    "/dashboard?status=active&limit=50",
    "/documents/3#comment-4",
    "/%2F%2Fevil.example",
]


@pytest.mark.parametrize("target", BYPASSES[:-1])
def test_bypasses_are_not_local_paths(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("target", [*LOCAL, "/%09/evil.example"])
def test_own_paths_are_local(target):
    assert is_local_path(target)


def _location(resp) -> str:
    return resp.headers.get("Location", "")


def _login(client, user, next_url):
    page = client.get("/login", query_string={"next": next_url})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return page, client.post(
        "/login",
        data={"csrf_token": csrf, "email": user.email, "password": user.password, "next": next_url},
    )


def test_login_redirects_only_to_our_paths(client, make):
    user = make.user()
    for target in BYPASSES:
        page, resp = _login(client, user, target)
        assert resp.status_code == 302, target
        location = _location(resp)
        expected = target if is_local_path(target) else "/workspaces"
        assert location == expected, (target, location)
        # The form carries on only what it would honour.
        form = page.get_data(as_text=True).split("<main>")[1]
        hidden = re.search(r'name="next" value="([^"]*)"', form)
        assert html.unescape(hidden.group(1)) == expected, target
    for target in LOCAL:
        _page, resp = _login(client, user, target)
        assert _location(resp) == target


def test_the_reported_url_lands_on_the_workspace_list(client, make):
    user = make.user()
    page = client.get("/login?next=/%09/evil.example/phish")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # The form posts back the hidden `next` exactly as the page rendered it.
    form = page.get_data(as_text=True).split("<main>")[1]
    hidden = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    resp = client.post(
        "/login?next=/%09/evil.example/phish",
        data={"csrf_token": csrf, "email": user.email, "password": user.password, "next": hidden},
    )
    assert resp.status_code == 302 and _location(resp) == "/workspaces"


def test_language_switch_redirects_only_to_our_paths(client):
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    for target in BYPASSES:
        resp = client.post("/locale", data={"csrf_token": csrf, "locale": "en", "next": target})
        assert resp.status_code == 302, target
        assert _location(resp) == (target if is_local_path(target) else "/"), target
    resp = client.post(
        "/locale", data={"csrf_token": csrf, "locale": "en", "next": "/dashboard?status=active"}
    )
    assert _location(resp) == "/dashboard?status=active"


def test_chromium_stays_on_our_origin_after_login(live_server, browser_context, make):
    user = make.user()
    context = browser_context()
    base = live_server.url
    # Anything outside our origin is answered locally, so leaving would show as a URL.
    context.route(
        lambda url: not url.startswith(base),
        lambda route: route.fulfill(status=200, body="phished"),
    )
    page = context.new_page()
    for target in [
        "/%09/evil.example/phish",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "/%0A/evil.example",
        "https:%2F%2Fevil.example",
        "javascript:alert(1)",
        "%5C%5Cevil.example",
        "///evil.example",
    ]:
        page.goto(f"{base}/login?next={target}")
        page.fill('input[name="email"]', user.email)
        page.fill('input[name="password"]', user.password)
        page.click('button[type="submit"].primary')
        page.wait_for_url(lambda url: not url.startswith(f"{base}/login"))
        page.wait_for_load_state()
        assert page.url == f"{base}/workspaces", (target, page.url)
        context.clear_cookies()
