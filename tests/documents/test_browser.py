"""Chromium: two people type into the same document at the same time and see
each other's text and cursors; a version is saved and its diff shown."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for
from tests.documents.test_documents_api import statement_of


def open_document(context, base_url, user, document_id):
    page = browser_login(context, base_url, user)
    page.goto(f"{base_url}/documents/{document_id}")
    expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    return page


def test_two_browsers_co_edit_see_cursors_and_diff_a_version(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    doc = statement_of(api, ws)
    url = live_server.url
    a = open_document(browser_context(), url, ws.owner, doc["id"])
    b = open_document(browser_context(locale="zh-CN"), url, ws.partner, doc["id"])

    a.locator(".cm-content").click()
    a.keyboard.press("Control+Home")
    b.locator(".cm-content").click()
    b.keyboard.press("Control+End")
    a.keyboard.type("企业说：良品率 😀 ")
    b.keyboard.type("\nUniversity says: try vacuum 🧪")
    expect(b.locator(".cm-content")).to_contain_text("企业说：良品率 😀")
    expect(a.locator(".cm-content")).to_contain_text("University says: try vacuum 🧪")
    # Each sees the other: in the presence list and as a named remote cursor.
    expect(a.locator('[data-testid="presence"]')).to_contain_text("University Lead")
    expect(b.locator('[data-testid="presence"]')).to_contain_text("Enterprise Lead")
    expect(a.locator(".cm-ySelectionInfo")).to_contain_text("University Lead")
    expect(b.locator(".cm-ySelectionInfo")).to_contain_text("Enterprise Lead")
    for page in (a, b):
        expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    stored = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    assert stored.startswith("企业说：良品率 😀 ")
    assert stored.endswith("\nUniversity says: try vacuum 🧪")
    assert a.locator(".cm-content").inner_text().replace("\u200b", "") != ""

    # The preview renders Markdown, sanitised.
    b.keyboard.type("\n\n**加粗 bold** <script>window.pwned=1</script>")
    expect(a.locator('[data-testid="preview"] strong')).to_have_text("加粗 bold")
    assert a.evaluate("window.pwned") is None
    assert a.locator('[data-testid="preview"] script').count() == 0

    # A saved version appears on both pages; a later edit shows in its diff.
    a.fill('form[data-action="create-version"] input[name="label"]', "第一版 v1")
    a.click('[data-testid="save-version"]')
    expect(b.locator('[data-testid="versions"]')).to_contain_text("第一版 v1")
    a.locator(".cm-content").click()
    a.keyboard.press("Control+End")
    a.keyboard.type("\n新增验收标准 ✅")
    expect(a.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    a.locator('[data-testid="versions"] li').first.locator('[data-testid="compare"]').click()
    diff = a.locator('[data-testid="diff"]')
    # Side by side first (tests/editing covers it); the unified view is one click away.
    expect(diff.locator("tr.insert ins")).to_contain_text(["新增验收标准 ✅"])
    a.click('[data-testid="layout-unified"]')
    expect(diff.locator(".add")).to_contain_text(["+新增验收标准 ✅"])
    expect(diff.locator(".hunk").first).to_have_text(re.compile(r"^@@ "))

    # Leaving removes the person and their cursor from the other page at once.
    b.context.close()
    expect(a.locator('[data-testid="presence"]')).not_to_contain_text("University Lead")
    expect(a.locator(".cm-ySelectionInfo")).to_have_count(0)
    wait_for(
        lambda: (
            "新增验收标准 ✅" in api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
        )
    )


def test_viewers_get_a_read_only_editor_and_the_workspace_lists_documents(
    make, api, live_server, browser_context
):
    viewer = make.user(side="university", name="Viewer Wu")
    ws = make.workspace(members={"viewer": viewer})
    doc = statement_of(api, ws)
    page = browser_login(browser_context(), live_server.url, viewer)
    page.goto(f"{live_server.url}/workspaces/{ws.id}")
    panel = page.locator('[data-testid="documents-panel"]')
    expect(panel).to_contain_text("Problem statement")
    assert panel.locator('form[data-action="create-answer"]').count() == 0
    panel.get_by_role("link", name=doc["title"]).click()
    expect(page.locator('[data-testid="read-only"]')).to_be_visible()
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "false")
    expect(page.locator(".cm-content")).to_contain_text("背景 Background")
    assert page.locator('[data-testid="save-version"]').count() == 0
    # Viewers may still comment, with a mention.
    page.fill('form[data-action="comment"] textarea', "@Enterprise Lead 指标来源？")
    page.click('[data-testid="add-comment"]')
    expect(page.locator('[data-testid="comments"]')).to_contain_text("指标来源？")
    comments = api.as_(ws.owner).get(f"/documents/{doc['id']}/comments").get_json()["items"]
    assert comments[0]["mentions"] == [ws.owner.id]
