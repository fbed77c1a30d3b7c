"""Chromium: a paste that would take the document past 1 MB is refused by the
server; the writer is told in words at once, the editor returns to the saved text
without a reload, typing goes on being saved, and a reload shows exactly that."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login, wait_for
from tests.documents.test_documents_api import statement_of

PASTE = """(text) => {
  const target = document.querySelector('.cm-content');
  const data = new DataTransfer();
  data.setData('text/plain', text);
  target.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                    cancelable: true}));
}"""


def test_oversized_paste_is_explained_undone_and_editing_goes_on(
    make, api, live_server, browser_context
):
    ws = make.workspace()
    doc = statement_of(api, ws)
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/documents/{doc['id']}")
    status = page.locator('[data-testid="save-status"]')
    expect(status).to_have_attribute("data-state", "saved")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nSaved before the paste.")
    expect(status).to_have_attribute("data-state", "saved")

    marker = "HUGEPASTE"
    page.evaluate(PASTE, marker + "x" * (1024 * 1024 + 10))
    notice = page.locator('[data-testid="editor-notice"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("larger than 1 MB")
    expect(notice).to_contain_text("last saved text")
    expect(status).to_have_attribute("data-state", "saved")
    expect(page.locator(".cm-content")).to_contain_text("Saved before the paste.")
    assert page.evaluate("window.JL.editor.getText().includes('HUGEPASTE')") is False

    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nTyped after the refusal.")
    expect(status).to_have_attribute("data-state", "saved")
    expect(page.locator('[data-testid="preview"]')).to_contain_text("Typed after the refusal.")
    wait_for(
        lambda: (
            "Typed after the refusal."
            in api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
        )
    )

    page.reload()
    expect(status).to_have_attribute("data-state", "saved")
    text = page.evaluate("window.JL.editor.getText()")
    assert "Saved before the paste." in text and text.endswith("Typed after the refusal.")
    assert marker not in text
    stored = api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"]
    assert stored == text
