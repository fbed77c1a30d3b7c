"""Markdown to HTML for the preview, safe to insert into the page.

Two layers, so one mistake is not enough: markdown-it renders with raw HTML
off (a `<script>` in the text comes out as text) and refuses `javascript:`
links; nh3 (ammonia) then keeps only an allow-list of tags, attributes and
URL schemes.

Block elements carry `data-line` (their first source line, 0-based, as
markdown-it's line map has it) so the page can keep the preview scrolled to
the part of the text the editor shows. The sanitiser lets that one attribute
through on those elements only, and only with digits in it.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

# The blocks worth scrolling to; a fence's attributes land on its <code>.
LINE_TOKENS = {
    "heading_open",
    "paragraph_open",
    "bullet_list_open",
    "ordered_list_open",
    "list_item_open",
    "blockquote_open",
    "table_open",
    "tr_open",
    "hr",
    "fence",
    "code_block",
}
HEADINGS = {f"h{level}" for level in range(1, 7)}
LINE_TAGS = HEADINGS | {
    "blockquote",
    "code",
    "hr",
    "li",
    "ol",
    "p",
    "table",
    "tr",
    "ul",
}


def _source_lines(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in LINE_TOKENS and token.map:
            token.attrSet("data-line", str(token.map[0]))


_md.core.ruler.push("source_lines", _source_lines)

TAGS = HEADINGS | {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES: dict[str, set[str]] = {tag: {"data-line"} for tag in LINE_TAGS}
ATTRIBUTES["a"] = {"href", "title"}
ATTRIBUTES["img"] = {"src", "alt", "title"}
ATTRIBUTES["ol"] = {"start", "data-line"}
# Table column alignment as classes: the pages' CSP refuses style attributes.
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
_ALIGN = re.compile(r'<(td|th) style="text-align:(left|center|right)">')


def split_tables(text: str) -> list[str | list[list[str]]]:
    """The text in order as Markdown source chunks and pipe tables, for renderers that
    draw tables themselves (the evidence PDF). A table is its rows, the header row
    first, each cell as plain text (inline marks such as `**` dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    tokens = _md.parse(text)
    parts: list[str | list[list[str]]] = []
    done = 0  # lines before this one are in `parts`
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        # Top-level tables only: one inside a list or a quote stays text.
        if token.type != "table_open" or token.level != 0 or not token.map:
            continue
        start, end = token.map
        if start > done:
            parts.append("\n".join(lines[done:start]))
        rows: list[list[str]] = []
        while i < len(tokens) and tokens[i].type != "table_close":
            if tokens[i].type == "tr_open":
                rows.append([])
            elif tokens[i].type == "inline" and rows:
                rows[-1].append(
                    "".join(
                        child.content
                        for child in tokens[i].children or []
                        if child.type in ("text", "code_inline")
                    )
                )
            i += 1
        parts.append(rows)
        done = end
    if done < len(lines):
        parts.append("\n".join(lines[done:]))
    return parts


def _only_line_numbers(tag: str, name: str, value: str) -> str | None:
    if name == "data-line" and not (value.isascii() and value.isdigit()):
        return None
    return value


def render_markdown(text: str) -> str:
    html = _ALIGN.sub(r'<\1 class="align-\2">', _md.render(text))
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes={"td": ALIGN_CLASSES, "th": ALIGN_CLASSES},
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_only_line_numbers,
        link_rel="noopener noreferrer nofollow",
    )
