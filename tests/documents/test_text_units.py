"""Pure logic: position units, minimal edits, mentions, sanitising, diffs."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.documents import crdt
from workspace.documents.anchors import make_selector, resolve
from workspace.documents.comments import find_mentions
from workspace.documents.diff import apply_edits, minimal_edits, unified
from workspace.documents.render import render_markdown, split_tables
from workspace.documents.template import statement_template

MIXED = st.text(alphabet=st.sampled_from(list("ab \n中文字😀👍🏽é")), max_size=40)


def test_pycrdt_counts_utf8_bytes_which_we_convert_from_code_points():
    doc = crdt.doc_from_text("良品率😀ok")
    text = crdt.text_of(doc)
    assert len(text) == len("良品率😀ok".encode())  # 3*3 + 4 + 2 = 15, not 6 characters
    # Inserting at code point 4 (after the emoji) must use byte offset 13.
    assert crdt.cp_to_utf8("良品率😀ok", 4) == 13
    text.insert(crdt.cp_to_utf8(str(text), 4), "→")
    assert str(text) == "良品率😀→ok"


@settings(max_examples=200, deadline=None)
@given(MIXED, MIXED)
def test_server_side_replace_produces_exactly_the_new_text(old, new):
    assert apply_edits(old, minimal_edits(old, new)) == new
    doc = crdt.doc_from_text(old)
    before = doc.get_update()
    update = crdt.replace_text(doc, new)
    assert crdt.text_str(doc) == new
    # The update alone carries the change to a peer holding the old state.
    peer = crdt.new_doc(before, update)
    assert crdt.text_str(peer) == new
    assert crdt.is_empty(update) == (old == new)


def test_minimal_edit_leaves_unchanged_text_alone_so_cursors_stay():
    old = "# 背景\n第一段😀。\n# 约束\n不变的文字"
    new = "# 背景\n第一段😀，已修改。\n# 约束\n不变的文字"
    edits = minimal_edits(old, new)
    # One insertion right after the emoji; the rest (even the 。) is kept as is.
    at = len("# 背景\n第一段😀")
    assert edits == [(at, at, "，已修改")]


def test_large_rewrites_diff_by_lines_and_stay_exact():
    old = "\n".join(f"第{i}行 line {i} 😀" for i in range(3000))
    new = old.replace("第1500行", "改动").replace("line 2999", "end")
    edits = minimal_edits(old, new)
    assert apply_edits(old, edits) == new
    assert sum(end - start for start, end, _ in edits) < 20


def test_mentions_match_names_and_email_local_parts():
    people = [
        (1, ["王工 Wang", "wang.gong"]),
        (2, ["Li", "li"]),
        (3, ["Lisa", "lisa.m"]),
        (4, ["李教授", "prof.li"]),
    ]
    assert find_mentions("@王工 Wang please check", people) == [1]
    assert find_mentions("ping @wang.gong and @prof.li", people) == [1, 4]
    assert find_mentions("@Lisa, not @li's", people) == [3, 2]
    assert find_mentions("@lisanne is nobody", people) == []
    assert find_mentions("请@李教授看一下", people) == [4]  # Chinese needs no space after
    assert find_mentions("mail li@example.com", people) == []
    assert find_mentions("@LI twice @li", people) == [2]


def test_preview_html_lets_no_script_through():
    html = render_markdown(
        "# 标题\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](https://example.com)\n\n"
        "<a href='javascript:alert(1)'>x</a> <iframe src=//evil></iframe>\n\n"
        "![i](javascript:alert(1))\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n"
    )
    tags = _tags(html)
    assert not {"script", "iframe"} & {tag for tag, _ in tags}
    for _tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith("javascript:")
    assert '<h1 data-line="0">标题</h1>' in html and "<table data-line=" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">c</a>' in html


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_unified_diff_reads_like_diff():
    out = unified("甲\n乙\n丙", "甲\n乙😀\n丙", "v1", "v2")
    assert out.splitlines()[:2] == ["--- v1", "+++ v2"]
    assert "-乙" in out.splitlines() and "+乙😀" in out.splitlines()
    assert out.endswith("\\ No newline at end of file\n")


def test_template_has_the_six_sections_in_both_languages():
    text = statement_template("压铸件气孔率")
    for zh, en in (
        ("背景", "Background"),
        ("技术瓶颈", "Technical bottleneck"),
        ("目标指标", "Target indicators"),
        ("约束条件", "Constraints"),
        ("验收标准", "Acceptance criteria"),
        ("知识产权与保密", "IP and confidentiality"),
    ):
        assert f"{zh} {en}" in text
    assert "压铸件气孔率" in text.splitlines()[0]


def test_awareness_removal_is_read_back_with_a_higher_clock():
    gone = {7: 3, 2**40: 0}
    assert crdt.awareness_clients(crdt.awareness_removal(gone)) == {7: 4, 2**40: 1}


def test_anchors_follow_moves_duplicates_and_edits_inside():
    text = "背景😀：气孔率太高。另见：气孔率统计。"
    sel = make_selector(text, 4, 7)  # the first 气孔率
    assert sel.quote == "气孔率"
    moved = "👨‍👩‍👧 新增一段。\n" + text
    start, end, found = resolve(moved, sel)
    assert found and moved[start:end] == "气孔率" and start == 4 + len("👨‍👩‍👧 新增一段。\n")
    # The second occurrence has the wrong context; the first still wins.
    assert resolve(text.replace("背景😀：气孔率", "背景😀：X光气孔率"), sel)[:2] == (6, 9)
    # The quote itself was rewritten: its context still finds the range.
    edited = text.replace("气孔率太高", "疏松缺陷太高")
    start, end, found = resolve(edited, sel)
    assert found and edited[start:end] == "疏松缺陷"
    # Everything around it gone: the old place, clamped, and said so.
    assert resolve("全新", sel) == (2, 2, False)


def test_preview_blocks_carry_their_source_line_and_nothing_more():
    html = render_markdown(
        "# A\n\ntext\n\n- one\n- two\n\n| a |\n|---|\n| 1 |\n\n"
        '<p data-line="x" onclick="y">raw</p>\n'
    )
    for expected in (
        '<h1 data-line="0">',
        '<p data-line="2">',
        '<li data-line="5">',
        '<table data-line="7">',
        '<tr data-line="9">',
    ):
        assert expected in html
    for _tag, attrs in _tags(html):
        for name, value in attrs:
            assert name in {"data-line", "class"}
            assert name != "data-line" or (value or "").isdigit()
    assert "&lt;p data-line=" in html  # raw HTML stays text


def test_tables_split_out_of_the_text_for_the_pdf():
    parts = split_tables("Intro\n\n| a | **b** `c` |\n|---|:-:|\n| 1 | 2 |\n| 3 |\n\nafter\r\n")
    assert parts == ["Intro\n", [["a", "b c"], ["1", "2"], ["3", ""]], "\nafter\n"]
    assert split_tables("no table\n\n- | x |\n  |---|\n") == ["no table\n\n- | x |\n  |---|\n"]
