"""Chromium journeys for editing comfort: the side-by-side diff (CJK and Latin,
escaped, the layout remembered, readable at 390 px), renaming a document live
on every open page, deleting milestones, indicators and planned trials with a
confirmation, and the confirmations before completing or aborting a trial."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.documents.test_documents_api import statement_of

OLD = (
    "# Die casting\n"
    "The scrap rate is 4.2 percent on line 3.\n"
    "生产线的良品率为百分之九十。\n"
    "Unchanged closing line.\n"
)
NEW = (
    "# Die casting\n"
    "The scrap rate is 1.4 percent on line 3.\n"
    "生产线的合格率为百分之九十五。\n"
    "Unchanged closing line.\n"
    "<img src=x onerror=window.pwned=1> added\n"
)


def open_document(context, base_url, user, document_id, width=1400):
    page = browser_login(context, base_url, user)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base_url}/documents/{document_id}")
    expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    return page


def versioned_document(api, ws):
    doc = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "Proposal", "text": OLD})
        .get_json()
    )
    v1 = api.as_(ws.owner).post(f"/documents/{doc['id']}/versions", json={"label": "v1"}).get_json()
    assert (
        api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": NEW}).status_code == 200
    )
    return doc, v1


def compare(page, from_id, to="current"):
    page.select_option('[data-testid="diff-from"]', str(from_id))
    page.select_option('[data-testid="diff-to"]', to)
    page.click('[data-testid="diff-run"]')
    expect(page.locator('[data-testid="diff-card"]')).to_be_visible()


def test_side_by_side_diff_marks_words_and_characters_and_remembers_the_layout(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    doc, v1 = versioned_document(api, ws)
    page = open_document(browser_context(), live_server.url, ws.owner, doc["id"])
    compare(page, v1["id"])

    split = page.locator('[data-testid="diff-split"]')
    expect(split).to_be_visible()
    changed = split.locator("tr.change")
    expect(changed).to_have_count(2)
    # Latin: the word that changed, not the whole line.
    expect(changed.nth(0).locator("del")).to_have_text(["4.2"])
    expect(changed.nth(0).locator("ins")).to_have_text(["1.4"])
    # Chinese has no spaces: characters are marked, the rest of the sentence is not.
    expect(changed.nth(1).locator("del")).to_have_text(["良品"])
    expect(changed.nth(1).locator("ins")).to_have_text(["合格", "五"])
    # Rows line up: old and new line numbers side by side; the new line stands alone.
    expect(changed.nth(1).locator("td.ln")).to_have_text(["3", "3"])
    inserted = split.locator("tr.insert")
    expect(inserted.locator("td.code").nth(1)).to_have_text(
        "<img src=x onerror=window.pwned=1> added"
    )
    expect(inserted.locator("td.code.empty")).to_have_count(1)
    assert split.locator("img").count() == 0 and page.evaluate("window.pwned") is None

    # Full page width, wider than the editor column.
    card = page.locator('[data-testid="diff-card"]').bounding_box()
    editor = page.locator(".doc-editor").bounding_box()
    assert card["width"] > 2 * editor["width"]

    # Unified is one click away, and the choice holds after a reload.
    page.click('[data-testid="layout-unified"]')
    expect(page.locator('[data-testid="diff"] .add')).to_contain_text(
        ["+The scrap rate is 1.4 percent on line 3.", "+生产线的合格率为百分之九十五。"]
    )
    page.reload()
    expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    compare(page, v1["id"])
    expect(page.locator('[data-testid="layout-unified"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('[data-testid="diff"] .add').first).to_be_visible()
    page.click('[data-testid="layout-split"]')
    expect(page.locator('[data-testid="diff-split"]')).to_be_visible()

    # On a phone the two columns keep their width and scroll inside their box.
    page.set_viewport_size({"width": 390, "height": 800})
    box = page.locator('[data-testid="diff"]')
    sizes = box.evaluate("b => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
    assert sizes[0] > sizes[1], sizes
    assert sizes[2] <= 390, sizes


def test_the_diff_speaks_chinese_and_compares_two_versions(make, api, live_server, browser_context):
    zh = make.user(side="university", locale="zh-CN", name="李老师")
    ws = make.workspace(members={"editor": zh})
    doc, v1 = versioned_document(api, ws)
    v2 = (
        api.as_(ws.owner)
        .post(f"/documents/{doc['id']}/versions", json={"label": "第二版"})
        .get_json()
    )
    page = open_document(browser_context(locale="zh-CN"), live_server.url, zh, doc["id"])
    compare(page, v1["id"], str(v2["id"]))
    expect(page.locator('[data-testid="layout-split"]')).to_have_text("左右对照")
    expect(page.locator('[data-testid="diff-split"] tr.hunk').first).to_contain_text("旧版第 1 行")
    expect(page.locator('[data-testid="diff-split"] th').nth(3)).to_contain_text("新版: 第二版")
    expect(page.locator('[data-testid="diff-split"] tr.change ins')).to_contain_text(["1.4"])
    # The same version on both sides: nothing to show, said in Chinese.
    compare(page, v2["id"], str(v2["id"]))
    expect(page.locator('[data-testid="diff"]')).to_have_text("没有差异。")


def test_a_rename_shows_live_in_headings_lists_and_tab_titles(
    make, api, live_server, browser_context
):
    zh = make.user(side="university", locale="zh-CN", name="李老师")
    ws = make.workspace(members={"editor": zh})
    doc = statement_of(api, ws)
    url = live_server.url
    a = open_document(browser_context(), url, ws.owner, doc["id"])
    b = open_document(browser_context(locale="zh-CN"), url, zh, doc["id"])
    listing = browser_login(browser_context(locale="zh-CN"), url, zh)
    listing.goto(f"{url}/workspaces/{ws.id}")
    expect(listing.locator('[data-testid="connection"]')).to_have_attribute(
        "data-state", "connected"
    )

    # Escape leaves the title as it was.
    a.click('[data-testid="rename"]')
    a.fill('[data-testid="rename-input"]', "Never saved")
    a.keyboard.press("Escape")
    expect(a.locator('[data-testid="doc-title"]')).to_have_text(doc["title"])
    # Blanks are refused with the server's reason, and nothing changes.
    a.click('[data-testid="rename"]')
    a.fill('[data-testid="rename-input"]', "   ")
    a.click('[data-testid="rename-save"]')
    expect(a.locator('[data-testid="rename-error"]')).to_contain_text("visible")
    a.fill('[data-testid="rename-input"]', "  压铸气孔问题 · Porosity  ")
    a.keyboard.press("Enter")
    expect(a.locator('[data-testid="doc-title"]')).to_have_text("压铸气孔问题 · Porosity")
    expect(a.locator('[data-testid="rename-form"]')).to_be_hidden()
    expect(a).to_have_title("压铸气孔问题 · Porosity · JointLab")

    expect(b.locator('[data-testid="doc-title"]')).to_have_text("压铸气孔问题 · Porosity")
    expect(b).to_have_title("压铸气孔问题 · Porosity · JointLab")
    expect(listing.locator(f"#document-{doc['id']} a")).to_have_text("压铸气孔问题 · Porosity")
    expect(listing.locator('[data-testid="activity"] li').first).to_contain_text(
        "重命名为《压铸气孔问题 · Porosity》"
    )
    assert (
        api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["title"]
        == "压铸气孔问题 · Porosity"
    )


def test_viewers_are_not_offered_a_rename(make, api, live_server, browser_context):
    viewer = make.user(side="university")
    ws = make.workspace(members={"viewer": viewer})
    doc = statement_of(api, ws)
    page = open_document(browser_context(), live_server.url, viewer, doc["id"])
    expect(page.locator('[data-testid="doc-title"]')).to_have_text(doc["title"])
    expect(page.locator('[data-testid="rename"]')).to_have_count(0)
