"""One event, the same words and link wherever it shows, in English and in
Chinese: the workspace's activity (live, then loaded), the dashboard's feed
(live in Chromium, then loaded), a mail and the Atom feed. Live items are
worded in the browser by static/js/event_words.js; the rest on the server by
workspace/events/presentation.py; both must give `present`'s answer."""

from __future__ import annotations

from typing import Any

import feedparser

from tests.conftest import browser_login, wait_for
from tests.live import MARKUP
from tests.portfolios.builders import milestone, portfolio, reach
from workspace.events.presentation import Presentation, present, words
from workspace.i18n import in_locale

PUBLIC_URL = "https://jointlab.example.cn"  # tests/notifications/conftest.py's
OWN_TEXT = (
    "li => [...li.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim()"
)


def _expected(app: Any, envelope: dict[str, Any], locale: str) -> Presentation:
    with app.app_context(), in_locale(locale):
        return present(envelope, "")


def _activity_item(page: Any, seq: int) -> str:
    item = page.wait_for_selector(f'#activity li[data-seq="{seq}"]')
    return item.evaluate(OWN_TEXT)


def _feed_item(page: Any, event_id: int) -> tuple[str, str]:
    a = page.wait_for_selector(f'#milestone-feed li[data-event-id="{event_id}"] a')
    return a.inner_text(), a.get_attribute("href")


def test_one_event_reads_the_same_everywhere(
    app, ready, inbox, live_server, browser_context, make, api, client
):
    zh_member = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(title="Acme porosity", members={"editor": zh_member})
    admin = make.admin()
    readers = {
        "en": (ws.partner, make.user(role="manager", name="PM En")),
        "zh-CN": (zh_member, make.user(role="manager", locale="zh-CN", name="王主任")),
    }
    pages = {}
    for locale, (member, manager) in readers.items():
        portfolio(api, admin, manager, workspaces=(ws,))
        browser = "en-US" if locale == "en" else "zh-CN"
        activity = browser_login(browser_context(locale=browser), live_server.url, member)
        activity.goto(f"{live_server.url}/workspaces/{ws.id}")
        dashboard = browser_login(browser_context(locale=browser), live_server.url, manager)
        dashboard.goto(f"{live_server.url}/dashboard")
        for page in (activity, dashboard):
            page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
        pages[locale] = (activity, dashboard)

    # A title with characters HTML, Markdown and XML treat specially.
    m = milestone(api, ws, "Yield ≥ 92% & <pilot>")
    reach(api, ws, m["id"])
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    env = next(e for e in events if e["type"] == "milestone.reached")

    for locale, (member, manager) in readers.items():
        shown = _expected(app, env, locale)
        assert "Yield ≥ 92% & <pilot>" in shown.text
        assert shown.url == f"/workspaces/{ws.id}#milestone-{m['id']}"
        activity, dashboard = pages[locale]
        # Live, worded in the browser.
        assert _activity_item(activity, env["seq"]) == shown.text, locale
        assert _feed_item(dashboard, env["id"]) == (shown.text, shown.url), locale
        items = (
            (activity, f'#activity li[data-seq="{env["seq"]}"]'),
            (dashboard, f'#milestone-feed li[data-event-id="{env["id"]}"]'),
        )
        live = [page.eval_on_selector(item, MARKUP) for page, item in items]
        # Loaded, worded on the server.
        for page in (activity, dashboard):
            page.reload()
        assert _activity_item(activity, env["seq"]) == shown.text, locale
        assert _feed_item(dashboard, env["id"]) == (shown.text, shown.url), locale
        # The same line, not only the same words.
        assert [page.eval_on_selector(item, MARKUP) for page, item in items] == live, locale

        mail = wait_for(lambda member=member: inbox.to(member.email), timeout=20)[0]
        assert mail["Subject"] == f"[{ws.title}] {shown.text}"
        body = mail.get_body(("plain",)).get_content()
        assert shown.text in body and PUBLIC_URL + shown.url in body

        token = make.token(manager, ("read",))
        feed = feedparser.parse(client.get(f"/api/v1/feed.atom?token={token}").data)
        entry = next(e for e in feed.entries if e.id.endswith(f"event-{env['id']}"))
        assert entry.title == f"{ws.title} · {shown.text}"
        assert entry.link == PUBLIC_URL + shown.url


def _shapes() -> list[dict[str, Any]]:
    """Envelopes of every kind of rule the wording and the links have."""

    def env(type_: str, data: dict[str, Any], actor: str | None = "Wang Fang") -> dict:
        return {
            "id": 1,
            "seq": 1,
            "type": type_,
            "workspace_id": 4,
            "occurred_at": "2026-12-07T08:00:00Z",
            "actor": {"id": 2, "name": actor} if actor else None,
            "data": data,
        }

    doc = {"id": 5, "title": "Answer\n draft"}
    trial = {"id": 12, "number": 3}
    return [
        env("milestone.reached", {"milestone": {"id": 9, "title": "Pilot & <b>"}}),
        env("milestone.evidence_ready", {"milestone": {"id": 9, "title": "Pilot"}}),
        env("milestone.deleted", {"milestone": {"id": 9, "title": "Pilot"}}),
        env("trial.measurements_recorded", {"trial": trial, "count": 1}),
        env("trial.measurements_recorded", {"trial": trial, "count": 27}),
        env("trial.completed", {"trial": {**trial, "outcome": "failed"}}),
        env("trial.status_changed", {"trial": trial, "status": "running"}),
        env("trial.alert", {"trial": trial, "rule": "one point beyond 3σ"}),
        env("trial.created", {"trial": trial}, actor=None),
        env("member.added", {"user": {"id": 3, "name": "Li"}, "role": "editor"}),
        env(
            "document.edited",
            {"document": doc, "editors": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]},
        ),
        env(
            "comment.created",
            {"document": doc, "comment": {"id": 31, "parent_id": 30}, "parent_id": 30},
        ),
        env("comment.resolved", {"document": doc, "comment": {"id": 30}}),
        env("suggestion.rejected", {"document": doc, "suggestion": {"id": 8}}),
        env("statement.agreed", {"document": doc, "label": "v2"}),
        env("webhook.ping", {}),
        env("something.new", {"x": 1}),
    ]


def test_the_browser_words_and_links_every_shape_as_the_server(app, live_server, browser_context):
    shapes = _shapes()
    for locale, browser in (("en", "en-US"), ("zh-CN", "zh-CN")):
        with app.app_context(), in_locale(locale):
            table = words()
            expected = [list(present(e, "")[:2]) for e in shapes]
            evidence = [present(e, "").evidence_url for e in shapes]
        page = browser_context(locale=browser).new_page()
        page.goto(f"{live_server.url}/login")
        got = page.evaluate(
            "([envs, table]) => envs.map((e) => [JL.events.sentence(e, table), JL.events.link(e)])",
            [shapes, table],
        )
        assert got == expected, locale
        assert (
            page.evaluate("(envs) => envs.map((e) => JL.events.evidenceLink(e))", shapes)
            == evidence
        )
