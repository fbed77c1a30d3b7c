"""Chromium: the formatting toolbar and its shortcuts edit the shared text (a peer
sees it live), tables render in the preview, viewers get no toolbar, and the
preview follows the editor's scroll."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for
from tests.documents.test_browser import open_document
from tests.documents.test_documents_api import statement_of


def editor_text(page) -> str:
    return page.evaluate("JL.editor.getText()")


def shows(page, text: str) -> None:
    """The page's editor holds exactly this text (peers' cursor labels are not text)."""
    wait_for(lambda: editor_text(page) == text)


def replace_text(page, lines: list[str]) -> None:
    """Select everything and type the lines, as a person would."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for i, line in enumerate(lines):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def test_bold_by_button_and_shortcut_is_live_for_a_peer(make, api, live_server, browser_context):
    li = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"editor": li})
    doc = statement_of(api, ws)
    a = open_document(browser_context(), live_server.url, ws.owner, doc["id"])
    b = open_document(browser_context(locale="zh-CN"), live_server.url, li, doc["id"])
    replace_text(a, ["yield rate"])
    a.keyboard.press("Control+Shift+ArrowLeft")  # selects "rate"

    bold = a.get_by_role("button", name="Bold")
    expect(bold).to_have_attribute("title", "Bold (Ctrl+B)")
    bold.click()
    assert editor_text(a) == "yield **rate**"
    expect(a.locator('[data-testid="preview"] strong')).to_have_text("rate")
    shows(b, "yield **rate**")
    expect(b.locator('[data-testid="preview"] strong')).to_have_text("rate")
    # Still selected: a second press takes the bold off again.
    bold.click()
    assert editor_text(a) == "yield rate"
    shows(b, "yield rate")

    # The shortcut, on the other side, with the Chinese toolbar.
    zh_bold = b.get_by_role("button", name="加粗")
    expect(zh_bold).to_have_attribute("title", "加粗 (Ctrl+B)")
    expect(b.get_by_role("button", name="斜体")).to_have_attribute("aria-keyshortcuts", "Control+I")
    b.locator(".cm-content").click()
    b.keyboard.press("Control+Home")
    b.keyboard.press("Control+Shift+ArrowRight")  # selects "yield"
    b.keyboard.press("Control+b")
    shows(b, "**yield** rate")
    shows(a, "**yield** rate")
    expect(a.locator('[data-testid="preview"] strong')).to_have_text("yield")
    # A person pauses between the two formats: Y.UndoManager merges what one
    # side changes within its captureTimeout (500 ms) into one undo step, and
    # the peer's copy can now arrive sooner than that.
    b.wait_for_timeout(600)
    b.keyboard.press("Control+i")
    shows(a, "***yield*** rate")
    expect(
        a.locator('[data-testid="preview"] em strong, [data-testid="preview"] strong em')
    ).to_have_text("yield")
    # Undo takes the last format back (Y.UndoManager), not the peer's.
    b.keyboard.press("Control+z")
    shows(a, "**yield** rate")
    for page in (a, b):
        expect(page.locator('[data-testid="save-status"]')).to_have_attribute("data-state", "saved")
    wait_for(
        lambda: (
            api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == "**yield** rate"
        )
    )


def test_headings_lists_code_and_link_act_on_every_selected_line(
    make, api, live_server, browser_context
):
    ws = make.workspace(owner=make.user(side="enterprise", locale="zh-CN", name="王工"))
    doc = statement_of(api, ws)
    page = open_document(browser_context(locale="zh-CN"), live_server.url, ws.owner, doc["id"])
    preview = page.locator('[data-testid="preview"]')
    replace_text(page, ["气孔率", "良品率", "节拍"])
    page.keyboard.press("Control+a")

    page.get_by_role("button", name="二级标题").click()
    assert editor_text(page) == "## 气孔率\n## 良品率\n## 节拍"
    expect(preview.locator("h2")).to_have_text(["气孔率", "良品率", "节拍"])
    page.keyboard.press("Control+Alt+1")  # another level replaces the heading
    assert editor_text(page) == "# 气孔率\n# 良品率\n# 节拍"
    expect(preview.locator("h1")).to_have_count(3)

    page.get_by_role("button", name="项目符号列表").click()
    assert editor_text(page) == "- 气孔率\n- 良品率\n- 节拍"
    expect(preview.locator("ul > li")).to_have_text(["气孔率", "良品率", "节拍"])
    page.get_by_role("button", name="编号列表").click()
    assert editor_text(page) == "1. 气孔率\n2. 良品率\n3. 节拍"
    expect(preview.locator("ol > li")).to_have_count(3)
    page.keyboard.press("Control+Shift+7")  # numbered again: the numbers come off
    assert editor_text(page) == "气孔率\n良品率\n节拍"
    page.keyboard.press("Control+Shift+8")
    assert editor_text(page) == "- 气孔率\n- 良品率\n- 节拍"
    page.keyboard.press("Control+Shift+8")

    # Several lines of code become a fenced block; one word becomes inline code.
    page.keyboard.press("Control+e")
    assert editor_text(page) == "```\n气孔率\n良品率\n节拍\n```"
    expect(preview.locator("pre code")).to_have_text("气孔率\n良品率\n节拍\n")
    page.keyboard.press("Control+e")
    assert editor_text(page) == "气孔率\n良品率\n节拍"
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+Home")
    page.get_by_role("button", name="代码（行内；选中多行时为代码块）").click()
    assert editor_text(page).endswith("\n`节拍`")
    expect(preview.locator("p code")).to_have_text("节拍")

    # A link: the selected words become its text, the address is typed in the brackets.
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+End")
    page.keyboard.press("Control+k")
    page.keyboard.type("https://example.com/porosity")
    assert editor_text(page).startswith("[气孔率](https://example.com/porosity)\n")
    expect(preview.locator("a")).to_have_attribute("href", "https://example.com/porosity")


def test_table_button_inserts_a_table_the_preview_shows_at_phone_width(
    make, api, live_server, browser_context
):
    zh = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"editor": zh})
    doc = statement_of(api, ws)
    for user, locale, column in ((ws.owner, "en-US", "Column"), (zh, "zh-CN", "列")):
        page = open_document(browser_context(locale=locale), live_server.url, user, doc["id"])
        page.set_viewport_size({"width": 390, "height": 800})
        replace_text(page, ["Trial results"])
        table_button = page.get_by_role("button", name="Table" if locale == "en-US" else "表格")
        table_button.click()
        page.keyboard.type("Temperature of the die casting mould")  # replaces the first header
        text = editor_text(page)
        assert text.startswith(
            "Trial results\n\n| Temperature of the die casting mould | "
            f"{column} 2 | {column} 3 |\n| --- | --- | --- |\n"
        )
        table = page.locator('[data-testid="preview"] table')
        expect(table.locator("th")).to_have_text(
            ["Temperature of the die casting mould", f"{column} 2", f"{column} 3"]
        )
        expect(table.locator("tbody tr")).to_have_count(2)
        assert (
            table.locator("th").first.evaluate("el => getComputedStyle(el).borderTopStyle")
            == "solid"
        )
        # At phone width the table stays inside the preview's box (it scrolls there).
        box = page.locator('[data-testid="preview"]').bounding_box()
        table_box = table.bounding_box()
        assert table_box["x"] + table_box["width"] <= box["x"] + box["width"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # A wide table scrolls sideways inside the preview; the page does not widen.
        wide = (
            "| "
            + " | ".join(f"Measurement_{n}_porosity" for n in range(8))
            + " |\n"
            + "|---" * 8
            + "|\n"
            + "| 1.2 " * 8
            + "|\n"
        )
        page.evaluate(
            "t => { const v = JL.editor.view;"
            " v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: t}}) }",
            wide,
        )
        expect(table.locator("th")).to_have_count(8)
        assert table.evaluate("el => el.scrollWidth > el.clientWidth + 100")
        table_box = table.bounding_box()
        assert table_box["x"] + table_box["width"] <= box["x"] + box["width"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.context.close()


def test_viewers_get_no_toolbar_and_shortcuts_change_nothing(
    make, api, live_server, browser_context
):
    viewer = make.user(side="university", name="Viewer Wu")
    zh_viewer = make.user(side="university", name="吴老师", locale="zh-CN")
    ws = make.workspace(members={"viewer": viewer, "viewer2": zh_viewer})
    doc = statement_of(api, ws)
    before = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    for user, locale in ((viewer, "en-US"), (zh_viewer, "zh-CN")):
        page = browser_login(browser_context(locale=locale), live_server.url, user)
        page.goto(f"{live_server.url}/documents/{doc['id']}")
        expect(page.locator('[data-testid="read-only"]')).to_be_visible()
        expect(page.locator(".cm-content")).to_contain_text("背景 Background")
        expect(page.locator('[data-testid="format-toolbar"]')).to_have_count(0)
        page.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.press("Control+b")
        page.keyboard.press("Control+Alt+1")
        assert editor_text(page) == before
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == before


def test_the_toolbar_works_from_the_keyboard(make, api, live_server, browser_context):
    ws = make.workspace()
    doc = statement_of(api, ws)
    page = open_document(browser_context(), live_server.url, ws.owner, doc["id"])
    toolbar = page.get_by_role("toolbar", name="Formatting")
    expect(toolbar.get_by_role("button")).to_have_count(10)
    replace_text(page, ["Notes"])
    # One tab stop: the arrow keys, Home and End move inside the toolbar.
    first = toolbar.get_by_role("button", name="Heading 1")
    first.focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Heading 2")).to_be_focused()
    expect(toolbar.get_by_role("button", name="Heading 2")).to_have_attribute("tabindex", "0")
    expect(first).to_have_attribute("tabindex", "-1")
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button", name="Table")).to_be_focused()
    page.keyboard.press("Enter")
    shows(
        page,
        "Notes\n\n| Column 1 | Column 2 | Column 3 |\n| --- | --- | --- |\n|  |  |  |\n|  |  |  |",
    )
    # The editor has the focus back, with the first header selected for typing.
    page.keyboard.type("Batch")
    shows(
        page,
        "Notes\n\n| Batch | Column 2 | Column 3 |\n| --- | --- | --- |\n|  |  |  |\n|  |  |  |",
    )
    expect(page.locator('[data-testid="preview"] th').first).to_have_text("Batch")


def _in_view(page, heading_text: str) -> bool:
    """The preview heading is inside the preview's visible box."""
    box = page.locator('[data-testid="preview"]').bounding_box()
    h = (
        page.locator('[data-testid="preview"]')
        .get_by_role("heading", name=heading_text, exact=True)
        .bounding_box()
    )
    return _inside(h, box)


def _editor_shows(page, line_text: str) -> bool:
    """The editor line is inside the editor's visible box."""
    box = page.locator(".cm-scroller").bounding_box()
    line = page.locator(".cm-line", has_text=re.compile(f"^{re.escape(line_text)}$"))
    if line.count() == 0:
        return False  # CodeMirror draws only the lines near the visible part
    h = line.first.bounding_box()
    return _inside(h, box)


def _inside(h, box) -> bool:
    """Its middle is inside the box: lined up at the top edge counts, give or take a pixel."""
    if h is None:
        return False
    middle = h["y"] + h["height"] / 2
    return box["y"] <= middle <= box["y"] + box["height"]


AT_BOTTOM = (
    "() => { const s = document.querySelector('.cm-scroller');"
    " return s.scrollTop + s.clientHeight >= s.scrollHeight - 2 }"
)
EDITOR_TO_LINE = (
    "text => { const v = JL.editor.view; const d = v.state.doc; let n = 1;"
    " while (d.line(n).text !== text) n++;"
    " const b = v.lineBlockAt(d.line(n).from);"
    " const s = v.scrollDOM;"
    " s.scrollTop = b.top + v.documentTop - s.getBoundingClientRect().top"
    " + s.scrollTop }"
)
PREVIEW_TO_HEADING = (
    "text => { const p = document.getElementById('preview');"
    " const h = [...p.querySelectorAll('h2')].find(e => e.textContent === text);"
    " p.scrollTop += h.getBoundingClientRect().top"
    " - p.getBoundingClientRect().top }"
)


def test_the_preview_follows_the_editors_scroll(make, api, live_server, browser_context):
    zh = make.user(side="university", locale="zh-CN", name="李教授")
    ws = make.workspace(members={"editor": zh})
    doc = statement_of(api, ws)
    for user, locale in ((ws.owner, "en-US"), (zh, "zh-CN")):
        page = open_document(browser_context(locale=locale), live_server.url, user, doc["id"])
        _scroll_journey(page)
        page.context.close()


def _scroll_journey(page) -> None:
    sections = [
        f"## Section {n}\n\n" + "\n".join(f"Line {n}.{i} of the findings." for i in range(8))
        for n in range(1, 41)
    ]
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # Pasting is how long text arrives; typing 400 lines would take a minute.
    page.evaluate(
        "t => JL.editor.view.dispatch(JL.editor.view.state.replaceSelection(t))",
        "\n\n".join(sections),
    )
    preview = page.locator('[data-testid="preview"]')
    expect(preview.locator("h2")).to_have_count(40)

    # The mouse wheel over the editor, down to the end: the last section shows.
    page.locator(".cm-scroller").hover()
    for _ in range(40):
        page.mouse.wheel(0, 2000)
    wait_for(lambda: page.evaluate(AT_BOTTOM))
    wait_for(lambda: _in_view(page, "Section 40"))
    assert not _in_view(page, "Section 1")

    # Back up to the middle: the preview shows the same section the editor does.
    page.evaluate(EDITOR_TO_LINE, "## Section 20")
    wait_for(lambda: _in_view(page, "Section 20"))
    assert not _in_view(page, "Section 40")

    # And the other way: scrolling the preview moves the editor.
    page.evaluate(PREVIEW_TO_HEADING, "Section 5")
    wait_for(lambda: _editor_shows(page, "## Section 5"))
    assert not _editor_shows(page, "## Section 20")
