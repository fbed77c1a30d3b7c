"""Markdown to HTML for the preview, safe to insert into the page.

Two layers, so one mistake is not enough: markdown-it renders with raw HTML
off (a `<script>` in the text comes out as text) and refuses `javascript:`
links; nh3 (ammonia) then keeps only an allow-list of tags, attributes and
URL schemes.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# Table column alignment as classes: the pages' CSP refuses style attributes.
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
_ALIGN = re.compile(r'<(td|th) style="text-align:(left|center|right)">')


def render_markdown(text: str) -> str:
    html = _ALIGN.sub(r'<\1 class="align-\2">', _md.render(text))
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES,
                     allowed_classes={"td": ALIGN_CLASSES, "th": ALIGN_CLASSES},
                     url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
