"""The side-by-side diff: aligned rows, what changed inside a line (words in
Latin text, characters in Chinese), bounded work on huge lines, and the API's
`layout=split`."""

from __future__ import annotations

from workspace.documents.diff import TOKEN_DIFF_LIMIT, intra_line, side_by_side, tokens


def changed(parts):
    return [p["text"] for p in parts if p["changed"]]


def test_tokens_are_words_numbers_and_single_cjk_characters():
    assert tokens("yield 4.2% 良品率 v2_x，1,000") == [
        "yield",
        " ",
        "4.2",
        "%",
        " ",
        "良",
        "品",
        "率",
        " ",
        "v2_x",
        "，",
        "1,000",
    ]


def test_a_changed_word_or_character_is_marked_not_the_line():
    old, new = intra_line("Raise die temperature to 220 C", "Raise mould temperature to 230 C")
    assert changed(old) == ["die", "220"] and changed(new) == ["mould", "230"]
    assert "".join(p["text"] for p in new) == "Raise mould temperature to 230 C"
    old, new = intra_line("良品率为百分之九十", "合格率为百分之九十五")
    assert changed(old) == ["良品"] and changed(new) == ["合格", "五"]


def test_unrelated_lines_and_huge_lines_are_marked_whole():
    old, new = intra_line("Background of the problem", "完全不同的一句话")
    assert changed(old) == ["Background of the problem"] and changed(new) == ["完全不同的一句话"]
    big = "x " * (TOKEN_DIFF_LIMIT + 1)
    old, new = intra_line(big, big + "y")
    assert old == [{"text": big, "changed": True}]


def test_rows_align_pairs_deletions_and_insertions_with_line_numbers():
    old = "\n".join(f"line {i}" for i in range(1, 11)) + "\n"
    new = old.replace("line 2\n", "line two\n").replace("line 9\n", "") + "line 11\n"
    hunks = side_by_side(old, new, context=1)
    assert [(h["old_start"], h["new_start"]) for h in hunks] == [(1, 1), (8, 8)]
    first = hunks[0]["rows"]
    assert [r["kind"] for r in first] == ["equal", "change", "equal"]
    assert (first[1]["old"]["n"], first[1]["new"]["n"]) == (2, 2)
    assert changed(first[1]["new"]["parts"]) == ["two"]
    second = hunks[1]["rows"]
    assert [r["kind"] for r in second] == ["equal", "delete", "equal", "insert"]
    assert second[1]["old"]["n"] == 9 and second[1]["new"] is None
    assert second[3]["old"] is None and second[3]["new"] == {
        "n": 10,
        "parts": [{"text": "line 11", "changed": True}],
    }
    assert side_by_side(old, old) == []
    # An emptied line is a change with nothing on one side, not a crash.
    rows = side_by_side("a\nb\n", "a\n\n")[0]["rows"]
    assert rows[1]["kind"] == "change" and rows[1]["new"]["parts"] == []


def test_the_api_gives_split_rows_on_request_and_refuses_other_layouts(make, api):
    ws = make.workspace()
    doc = (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "P", "text": "a\n<b>x</b>\n"})
        .get_json()
    )
    v1 = api.as_(ws.owner).post(f"/documents/{doc['id']}/versions", json={}).get_json()
    api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": "a\n<b>y</b>\n"})
    base = f"/documents/{doc['id']}/diff?from={v1['id']}&to=current"
    plain = api.as_(ws.partner).get(base).get_json()
    assert "side_by_side" not in plain and plain["unified"]
    split = api.as_(ws.partner).get(base + "&layout=split").get_json()
    row = split["side_by_side"][0]["rows"][1]
    assert row["kind"] == "change"
    # The text comes back as text (the page escapes it), marked where it changed.
    assert row["new"]["parts"] == [
        {"text": "<b>", "changed": False},
        {"text": "y", "changed": True},
        {"text": "</b>", "changed": False},
    ]
    bad = api.as_(ws.partner).get(base + "&layout=sideways")
    assert bad.status_code == 422 and "layout" in bad.get_json()["error"]["fields"]
    outsider = make.user(side="enterprise")
    assert api.as_(outsider).get(base + "&layout=sideways").status_code == 404
