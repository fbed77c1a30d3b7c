"""Chromium, suggested edits the way reviewers make them in Google Docs:
the university lead, a viewer here and reading in Chinese, selects words in
a read-only editor and suggests new ones; the enterprise owner sees the
suggestion appear live (struck-through words, the new ones after them, the
count), gets a mail carrying the suggested text, and accepts it: both see the
new text. Then the owner works in "Suggesting" mode: what is typed becomes a
suggestion, the shared text does not change, and an edit through another
suggestion's words shows that one as outdated on the other page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of
from tests.notifications.test_comment_threads_browser import _plain, open_document

TEXT = "目标：良品率 95%\nCycle time 62 s\nScrap below 2 %.\n"


def select_words(page, words: str) -> None:
    """Select `words` in the editor as a mouse would (a DOM selection inside
    the text), which a read-only editor allows too."""
    page.evaluate(
        """(words) => {
      const walker = document.createTreeWalker(document.querySelector('.cm-content'),
                                               NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent.indexOf(words);
        if (at === -1) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + words.length);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        return;
      }
      throw new Error('not in the editor: ' + words);
    }""",
        words,
    )


def editor_text(page) -> str:
    return page.evaluate("() => window.JL.editor.getText()")


def test_a_viewer_suggests_and_the_owner_accepts_live(
    ready, make, api, inbox, live_server, browser_context
):
    lead = make.user(side="enterprise", name="Enterprise Lead")
    reviewer = make.user(side="university", name="王小明")
    ws = make.workspace(owner=lead, members={"viewer": reviewer})
    doc = statement_of(api, ws)
    api.as_(lead).put(f"/documents/{doc['id']}/text", json={"text": TEXT})
    assert api.as_(reviewer).patch("/me", json={"locale": "zh-CN"}).status_code == 200
    url = live_server.url
    owner = open_document(browser_context(), url, lead, doc["id"])
    viewer = open_document(browser_context(locale="zh-CN"), url, reviewer, doc["id"])
    expect(viewer.locator('[data-testid="read-only"]')).to_be_visible()
    expect(viewer.locator('[data-testid="mode-suggesting"]')).to_have_count(0)
    expect(owner.locator('[data-testid="suggestion-count"]')).to_have_text("0 pending")

    # The viewer selects 95% and suggests 98%, with a note, in Chinese.
    select_words(viewer, "95%")
    viewer.get_by_role("button", name="建议修改").click()
    form = viewer.locator('[data-testid="suggest-form"]')
    expect(form.locator('[data-role="suggest-quote"]')).to_have_text("95%")
    expect(form.locator('[data-testid="suggest-text"]')).to_have_value("95%")
    form.locator('[data-testid="suggest-text"]').fill("98%")
    form.locator('[data-testid="suggest-note"]').fill("客户新要求")
    form.get_by_role("button", name="提出建议").click()
    expect(form).to_be_hidden()
    expect(viewer.locator('[data-testid="suggestion-count"]')).to_have_text("1 条待处理")
    mine = viewer.locator('[data-testid="suggestion"]')
    expect(mine.locator('[data-testid="suggestion-reject"]')).to_have_text("拒绝")
    expect(mine.locator('[data-testid="suggestion-accept"]')).to_have_count(0)

    # The owner sees it at once: in the list and in the text.
    item = owner.locator('[data-testid="suggestion"]')
    expect(item.locator('[data-testid="suggestion-old"]')).to_have_text("95%")
    expect(item.locator('[data-testid="suggestion-new"]')).to_have_text("98%")
    expect(item.locator('[data-testid="suggestion-note"]')).to_have_text("客户新要求")
    expect(owner.locator('[data-testid="suggestion-count"]')).to_have_text("1 pending")
    expect(owner.locator(".cm-suggest-del")).to_have_text("95%")
    expect(owner.locator(".cm-suggest-ins")).to_have_text("98%")
    assert editor_text(owner) == TEXT  # only drawn, not in the text
    # Clicking its new words in the text shows it in the panel.
    expect(item).not_to_have_class(re.compile(r"\bactive\b"))
    owner.locator(".cm-suggest-ins").click()
    expect(item).to_have_class(re.compile(r"\bactive\b"))
    expect(owner.locator(".cm-suggest-del.cm-suggest-active")).to_have_text("95%")
    # The mail carries the suggested text and links to it.
    mail = wait_for(lambda: [m for m in inbox.to(lead.email) if "98%" in _plain(m)], timeout=20)[0]
    body = _plain(mail)
    assert "> - 95%" in body and "> + 98%" in body and "客户新要求" in body
    assert f"/documents/{doc['id']}#suggestion-" in body
    # The mail's link opens the suggestion, marked, with its words outlined in the text.
    link = re.search(r"https://jointlab\.example\.cn(/documents/\S+#suggestion-\d+)", body)
    linked = owner.context.new_page()
    linked.goto(url + link.group(1))
    expect(linked.locator('[data-testid="suggestion"]')).to_have_class(re.compile(r"\bactive\b"))
    expect(linked.locator(".cm-suggest-del.cm-suggest-active")).to_have_text("95%")
    linked.close()

    item.locator('[data-testid="suggestion-accept"]').click()
    new_text = TEXT.replace("95%", "98%")
    wait_for(lambda: editor_text(owner) == new_text)
    wait_for(lambda: editor_text(viewer) == new_text)
    expect(viewer.locator('[data-testid="suggestion"]')).to_have_count(0)
    expect(viewer.locator('[data-testid="suggestion-count"]')).to_have_text("0 条待处理")
    expect(owner.locator(".cm-suggest-del")).to_have_count(0)
    assert api.as_(lead).get(f"/documents/{doc['id']}").get_json()["text"] == new_text


def test_typing_in_suggesting_mode_makes_suggestions(
    ready, make, api, live_server, browser_context
):
    lead = make.user(side="enterprise", name="Enterprise Lead")
    ws = make.workspace(owner=lead)
    doc = statement_of(api, ws)
    api.as_(lead).put(f"/documents/{doc['id']}/text", json={"text": TEXT})
    url = live_server.url
    owner = open_document(browser_context(), url, lead, doc["id"])
    partner = open_document(browser_context(), url, ws.partner, doc["id"])
    base = f"/documents/{doc['id']}/suggestions"
    other = (
        api.as_(ws.partner)
        .post(base, json={"anchor": {"from": 7, "to": 10}, "text": "97%"})
        .get_json()
    )
    expect(owner.locator('[data-testid="suggestion-count"]')).to_have_text("1 pending")

    owner.get_by_role("button", name="Suggesting").click()
    expect(owner.locator('[data-testid="suggesting-notice"]')).to_be_visible()
    # Select "62 s" with the keyboard and type over it.
    owner.locator(".cm-content").click()
    owner.keyboard.press("Control+Home")
    owner.keyboard.press("ArrowDown")
    owner.keyboard.press("End")
    for _ in range(4):
        owner.keyboard.press("Shift+ArrowLeft")
    owner.keyboard.type("58 s")
    owner.keyboard.press("Backspace")
    owner.keyboard.type("S")
    # Drawn while typed; the shared text does not change.
    expect(owner.locator(".cm-suggest-pending.cm-suggest-ins")).to_have_text("58 S")
    assert editor_text(owner) == TEXT
    # After a pause it is posted, and the other page shows it live.
    theirs = partner.locator('[data-testid="suggestion"]').filter(has_text="58 S")
    expect(theirs.locator('[data-testid="suggestion-old"]')).to_have_text("62 s")
    expect(partner.locator('[data-testid="suggestion-count"]')).to_have_text("2 pending")
    made = [s for s in api.as_(lead).get(base).get_json()["items"] if s["text"] == "58 S"]
    assert len(made) == 1 and made[0]["anchor"]["quote"] == "62 s"
    assert made[0]["author"]["id"] == lead.id
    assert api.as_(lead).get(f"/documents/{doc['id']}").get_json()["text"] == TEXT
    wait_for(lambda: editor_text(partner) == TEXT)
    # Text that comes in as an input method writes it (Chinese), at the end of line one.
    owner.keyboard.press("Control+Home")
    owner.keyboard.press("End")
    owner.keyboard.insert_text("，提高到")
    owner.keyboard.insert_text(" 98%")
    expect(owner.locator(".cm-suggest-pending.cm-suggest-ins")).to_have_text("，提高到 98%")
    assert editor_text(owner) == TEXT
    added = partner.locator('[data-testid="suggestion"]').filter(has_text="，提高到 98%")
    expect(added.locator('[data-testid="suggestion-new"]')).to_have_text("，提高到 98%")
    expect(added.locator('[data-testid="suggestion-old"]')).to_have_count(0)  # an insertion
    # Undo takes back the suggestion being typed, not an earlier edit of the text.
    owner.keyboard.type("draft")
    expect(owner.locator(".cm-suggest-pending.cm-suggest-ins")).to_have_text("draft")
    owner.keyboard.press("Control+z")
    expect(owner.locator(".cm-suggest-pending")).to_have_count(0)
    assert editor_text(owner) == TEXT
    # Backspace strikes text instead of deleting it.
    owner.keyboard.press("Control+End")
    owner.keyboard.press("ArrowLeft")
    for _ in range(3):
        owner.keyboard.press("Backspace")
    expect(owner.locator(".cm-suggest-pending.cm-suggest-del")).to_have_text(" %.")
    struck = partner.locator('[data-testid="suggestion"]').filter(has_text=" %.")
    expect(struck.locator('[data-testid="suggestion-old"]')).to_have_text(" %.")
    expect(struck.locator('[data-testid="suggestion-new"]')).to_have_count(0)  # a deletion
    assert editor_text(owner) == TEXT

    # Back to Editing: typing edits the text, here through the other suggestion's words,
    # which the partner then sees as outdated, live.
    owner.get_by_role("button", name="Editing").click()
    owner.locator(".cm-content").click()
    owner.keyboard.press("Control+Home")
    for _ in range(8):
        owner.keyboard.press("ArrowRight")
    owner.keyboard.type("0")
    changed = TEXT.replace("95%", "905%")
    wait_for(lambda: editor_text(partner) == changed)
    stale = partner.locator(f'[data-suggestion-id="{other["id"]}"][data-testid="suggestion"]')
    expect(stale.locator('[data-testid="suggestion-outdated"]')).to_be_visible()
    expect(stale.locator('[data-testid="suggestion-accept"]')).to_have_count(0)
    # Its author dismisses it.
    stale.locator('[data-testid="suggestion-reject"]').click()
    expect(partner.locator('[data-testid="suggestion-count"]')).to_have_text("3 pending")
    expect(owner.locator('[data-testid="suggestion"]')).to_have_count(3)
