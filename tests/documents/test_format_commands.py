"""The toolbar's formatting commands on many selections, run in Chromium on the
real editor bundle: what the text and the selection become (« » mark the selection)."""

from __future__ import annotations

import pytest

from tests.documents.test_browser import open_document
from tests.documents.test_documents_api import statement_of

TABLE = "| Column 1 | Column 2 | Column 3 |\n| --- | --- | --- |\n|  |  |  |\n|  |  |  |"

CASES = [
    # Inline marks wrap, and come off from inside or just outside the selection.
    ("bold", "a «word» b", "a **«word»** b"),
    ("bold", "a **«word»** b", "a «word» b"),
    ("bold", "a «**word**» b", "a «word» b"),
    ("bold", "«»", "**«»**"),
    ("italic", "a «word» b", "a *«word»* b"),
    ("italic", "a **«word»** b", "a ***«word»*** b"),  # bold stays, italic is added
    ("italic", "a ***«word»*** b", "a **«word»** b"),
    ("bold", "a ***«word»*** b", "a *«word»* b"),
    ("code", "x «y» z", "x `«y»` z"),
    ("code", "x `«y»` z", "x «y» z"),
    # Several lines: a fenced block, taken off again.
    ("code", "«a\nb»", "```\n«a\nb»\n```"),
    ("code", "```\n«a\nb»\n```", "«a\nb»"),
    # Headings and lists on every selected line; blank lines stay blank.
    ("h1", "«one\ntwo»", "# «one\n# two»"),
    ("h1", "# «one\n# two»", "«one\ntwo»"),
    ("h1", "## «one»", "# «one»"),
    ("h3", "«one»", "### «one»"),
    ("paragraph", "## «one»", "«one»"),
    ("bullets", "«a\n\nb»", "- «a\n\n- b»"),
    ("bullets", "- «a\n- b»", "«a\nb»"),
    ("numbers", "- «a\n- b\n- c»", "1. «a\n2. b\n3. c»"),
    ("bullets", "1. «a\n2. b»", "- «a\n- b»"),
    ("bullets", "  «nested»", "  - «nested»"),
    ("bullets", "«»", "- «»"),
    # Links: the selection is the text, a selected address the target; off again.
    ("link", "see «docs»", "see [docs](«»)"),
    ("link", "see «https://example.com/a»", "see [«»](https://example.com/a)"),
    ("link", "«[docs](https://example.com)»", "«docs»"),
    # The table: below the line, with blank lines around it; its first header selected.
    ("table", "para«»", "para\n\n" + TABLE.replace("Column 1", "«Column 1»", 1)),
    ("table", "«»\nnext", TABLE.replace("Column 1", "«Column 1»", 1) + "\n\nnext"),
    ("table", "above\n«»", "above\n\n" + TABLE.replace("Column 1", "«Column 1»", 1)),
]

RUN = """([name, marked]) => {
  const view = JL.editor.view;
  const from = marked.indexOf('«');
  const to = marked.indexOf('»') - 1;
  const text = marked.replace('«', '').replace('»', '');
  view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: text},
                 selection: {anchor: from, head: to}});
  if (!JL.editor.format(name)) return 'refused';
  const s = view.state.selection.main;
  const out = view.state.doc.toString();
  return out.slice(0, s.from) + '«' + out.slice(s.from, s.to) + '»' + out.slice(s.to);
}"""


@pytest.fixture
def editor_page(make, api, live_server, browser_context):
    ws = make.workspace()
    doc = statement_of(api, ws)
    return open_document(browser_context(), live_server.url, ws.owner, doc["id"])


def test_formatting_commands_toggle_on_the_selection(editor_page):
    results = [
        (name, before, editor_page.evaluate(RUN, [name, before])) for name, before, _after in CASES
    ]
    wrong = [
        (name, before, got, after)
        for (name, before, got), (_n, _b, after) in zip(results, CASES, strict=True)
        if got != after
    ]
    assert not wrong, wrong


def test_unknown_commands_are_refused(editor_page):
    assert editor_page.evaluate(RUN, ["underline", "«x»"]) == "refused"
    assert editor_page.evaluate(RUN, ["constructor", "«x»"]) == "refused"
