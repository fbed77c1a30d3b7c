"""Chromium, two people (enterprise lead and university lead) discussing a
document the way they would in Google Docs: a comment on selected text, seen
live by the other, a reply mentioning someone picked from the `@` list (a
Chinese name found by part of it), the mail that brings the reply's words,
then resolve (the thread folds away, the open count drops for both) and
reopen. Mail is read as received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for
from tests.documents.test_documents_api import statement_of

TEXT = "目标：良品率 95%\nCycle time 62 s\n"
# The marked words; another person's cursor (with its name label) may sit inside them.
MARKED = re.compile(r"^良.*品率$")


def open_document(context, base_url, user, document_id):
    page = browser_login(context, base_url, user)
    page.goto(f"{base_url}/documents/{document_id}")
    expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    return page


def _plain(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_thread_from_comment_to_resolve_across_two_browsers(
    ready, make, api, inbox, live_server, browser_context
):
    lead = make.user(side="enterprise", name="张伟民")
    ws = make.workspace(owner=lead)
    doc = statement_of(api, ws)
    api.as_(lead).put(f"/documents/{doc['id']}/text", json={"text": TEXT})
    # The university lead reads the page in Chinese.
    assert api.as_(ws.partner).patch("/me", json={"locale": "zh-CN"}).status_code == 200
    url = live_server.url
    a = open_document(browser_context(), url, lead, doc["id"])
    b = open_document(browser_context(locale="zh-CN"), url, ws.partner, doc["id"])
    expect(b.locator('[data-testid="open-count"]')).to_have_attribute("data-count", "0")

    # A selects 良品率 with the keyboard and comments on it.
    a.locator(".cm-content").click()
    a.keyboard.press("Control+Home")
    for _ in range(3):
        a.keyboard.press("ArrowRight")
    for _ in range(3):
        a.keyboard.press("Shift+ArrowRight")
    a.check('form[data-action="comment"] input[name="anchored"]')
    a.fill('[data-testid="comment-body-input"]', "Is 95% enough?")
    a.click('[data-testid="add-comment"]')

    # B sees it at once: the thread, its quote, the count, the mark in the editor.
    thread_b = b.locator('[data-testid="thread"]').filter(has_text="Is 95% enough?")
    expect(thread_b.locator('[data-testid="comment-quote"]')).to_have_text("良品率")
    expect(b.locator('[data-testid="open-count"]')).to_have_attribute("data-count", "1")
    expect(b.locator('[data-testid="open-count"]')).to_have_text("1 条未解决")
    expect(b.locator(".cm-comment-mark")).to_have_text(MARKED)
    # Clicking the thread makes its text the active mark.
    thread_b.locator('[data-testid="comment-body"]').click()
    expect(b.locator(".cm-comment-mark-active")).to_have_text(MARKED)
    expect(thread_b).to_have_class(re.compile(r"\bactive\b"))

    # B replies, mentioning A picked from the list by part of the Chinese name.
    reply_box = thread_b.locator('[data-testid="reply-body"]')
    reply_box.click()
    reply_box.press_sequentially("@伟民")
    suggestions = thread_b.locator('[data-testid="mention-suggestions"]')
    expect(suggestions).to_be_visible()
    suggestions.locator("li", has_text="张伟民").click()
    expect(reply_box).to_have_value("@张伟民 ")
    reply_box.press_sequentially("同意，目标改为 98%")
    expect(thread_b.locator('[data-testid="mention-unmatched"]')).to_be_hidden()
    thread_b.locator('[data-testid="reply-submit"]').click()

    thread_a = a.locator('[data-testid="thread"]').filter(has_text="Is 95% enough?")
    expect(thread_a.locator('[data-testid="reply"]')).to_contain_text("@张伟民 同意，目标改为 98%")
    stored = api.as_(lead).get(f"/documents/{doc['id']}/comments").get_json()["items"]
    assert stored[1]["mentions"] == [lead.id] and stored[1]["parent_id"] == stored[0]["id"]
    mail = wait_for(
        lambda: [m for m in inbox.to(lead.email) if "同意，目标改为 98%" in _plain(m)], timeout=20
    )[0]
    assert "> @张伟民 同意，目标改为 98%" in _plain(mail)
    assert f"/documents/{doc['id']}#comment-{stored[0]['id']}" in _plain(mail)

    # A half-written reply survives others' comments arriving live.
    reply_box.press_sequentially("草稿 draft")
    api.as_(lead).post(
        f"/documents/{doc['id']}/comments",
        json={"body": "Second thought", "parent_id": stored[0]["id"]},
    )
    expect(thread_b.locator('[data-testid="reply"]')).to_have_count(2)
    expect(thread_b.locator('[data-testid="reply-body"]')).to_have_value("草稿 draft")

    # B edits the reply; A sees the new words, marked as edited, live.
    mine = thread_b.locator('[data-testid="reply"]').first
    mine.locator('[data-testid="edit-comment"]').click()
    mine.locator('[data-testid="edit-body"]').fill("@张伟民 同意，目标改为 98.5%")
    mine.locator('button[type="submit"]').click()
    first_reply_a = thread_a.locator('[data-testid="reply"]').first
    expect(first_reply_a.locator('[data-testid="comment-body"]')).to_have_text(
        "@张伟民 同意，目标改为 98.5%"
    )
    expect(first_reply_a.locator('[data-testid="edited"]')).to_be_visible()

    # An @word that matches nobody is flagged before posting.
    b.locator('[data-testid="comment-body-input"]').press_sequentially("ask @nobody-here ")
    expect(
        b.locator('form[data-action="comment"] [data-testid="mention-unmatched"]')
    ).to_contain_text("没有成员与 @nobody-here 匹配")

    # Selecting highlighted text in A's editor shows its thread; elsewhere lets it go.
    a.locator(".cm-content").click()
    a.keyboard.press("Control+End")
    expect(thread_a).not_to_have_class(re.compile(r"\bactive\b"))
    a.locator(".cm-comment-mark").click()
    expect(thread_a).to_have_class(re.compile(r"\bactive\b"))
    expect(a.locator(".cm-comment-mark-active")).to_have_text(MARKED)

    # A resolves: the thread folds away and the count drops, for B live.
    thread_a.locator('[data-testid="resolve"]').click()
    expect(a.locator('[data-testid="open-count"]')).to_have_attribute("data-count", "0")
    expect(b.locator('[data-testid="open-count"]')).to_have_attribute("data-count", "0")
    expect(b.locator('[data-testid="open-count"]')).to_have_text("0 条未解决")
    expect(a.locator('[data-testid="open-count"]')).to_have_text("0 open")
    expect(b.locator("#comments").get_by_text("Is 95% enough?")).to_have_count(0)
    resolved_b = b.locator('[data-testid="resolved-threads"]')
    expect(resolved_b).to_be_visible()
    expect(resolved_b.get_by_text("Is 95% enough?")).to_be_hidden()  # folded
    expect(b.locator(".cm-comment-mark")).to_have_count(0)

    # B opens the folded threads and reopens it: back for both.
    expect(resolved_b.locator("summary")).to_have_text("已解决 (1)")
    resolved_b.locator("summary").click()
    expect(resolved_b.locator('[data-testid="resolved-by"]')).to_contain_text("张伟民")
    resolved_b.locator('[data-testid="reopen"]').click()
    expect(a.locator('[data-testid="open-count"]')).to_have_attribute("data-count", "1")
    expect(a.locator(".cm-comment-mark")).to_have_text(MARKED)
    expect(b.locator('[data-testid="resolved-threads"]')).to_be_hidden()

    # The mail's link, opened in a new tab, shows the thread with its text marked.
    tab = a.context.new_page()
    tab.goto(f"{url}/documents/{doc['id']}#comment-{stored[1]['id']}")
    opened = tab.locator('[data-testid="thread"]').filter(has_text="Is 95% enough?")
    expect(opened).to_have_class(re.compile(r"\bactive\b"))
    active = tab.locator(".cm-comment-mark-active")
    expect(active).to_have_attribute("data-thread-id", str(stored[0]["id"]))
    expect(active).to_have_text(MARKED)
