"""Issue 15, Everywhere: a person's language follows the browser until they
choose one; on a login several people share (the demo), switching language
changes only that browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login


def _shared_login():
    from workspace.auth.service import create_user
    from workspace.db import db

    with db.transaction() as s:  # like the demo's users: no language chosen
        user = create_user(
            s,
            email="demo-lead@example.test",
            name="Demo Lead",
            password="correct horse battery",
            chosen=False,
        )
        user.password = "correct horse battery"
        return user


def test_a_shared_login_follows_each_browser_and_switches_only_one(
    app, make, live_server, browser_context
):
    with app.app_context():
        user = _shared_login()
    base = live_server.url
    english = browser_login(browser_context(locale="en-US"), base, user)
    chinese = browser_login(browser_context(locale="zh-CN"), base, user)
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")

    # The English browser switches to Chinese; the other browser is unchanged...
    english.click('.locale-switch button[value="zh-CN"]')
    expect(english.locator("html")).to_have_attribute("lang", "zh-CN")
    chinese.reload()
    expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")
    # ...and switching that one to English leaves the first in Chinese.
    chinese.click('.locale-switch button[value="en"]')
    expect(chinese.locator("html")).to_have_attribute("lang", "en")
    english.reload()
    expect(english.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_chosen_language_wins_over_the_browser_and_mails_follow(
    app, make, live_server, browser_context
):
    from workspace.auth.models import User
    from workspace.db import db

    with app.app_context():
        user = _shared_login()
    base = live_server.url
    # Not chosen: signing in from a Chinese browser makes Chinese the mail language.
    page = browser_login(browser_context(locale="zh-CN"), base, user)
    with app.app_context(), db.reading() as s:
        row = s.get(User, user.id)
        assert row.locale == "zh-CN" and row.locale_chosen is False
    page.goto(f"{base}/settings/notifications")
    expect(page.locator('[data-testid="account-language"]')).to_have_value("browser")
    page.select_option('[data-testid="account-language"]', "en")
    page.click('form[data-testid="notification-preferences"] button[type="submit"]')
    expect(page.locator('[data-testid="saved"]')).to_be_visible()
    with app.app_context(), db.reading() as s:
        row = s.get(User, user.id)
        assert row.locale == "en" and row.locale_chosen is True
    # Chosen: another Chinese browser without a switch of its own shows English.
    other = browser_login(browser_context(locale="zh-CN"), base, user)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    with app.app_context(), db.reading() as s:
        assert s.get(User, user.id).locale == "en"  # signing in changed nothing
