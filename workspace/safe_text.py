"""Text as each output can carry it: one small function per kind of output.

People's text (titles, names, comments) reaches XML (Atom, XLSX), mail
headers and bodies, iCalendar, PDF, CSV and chat-bot Markdown. Each of these
refuses or misreads something ordinary input may hold: XML 1.0 has no place
for most control characters nor U+FFFE/U+FFFF (lxml and openpyxl raise), a
header line ends at CR or LF (the email package raises), iCalendar text must
not hold control characters, a CSV or XLSX cell starting with `=` runs as a
formula, and bot Markdown turns `[x](url)` into a link. Single-line fields
are cleaned when they are stored (`one_line`, through `workspace.fields`);
every output cleans again, for text stored before and for multi-line text.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

# What no output can carry: C0 controls except TAB, LF, CR; DEL and the C1
# controls; surrogates (never valid alone); the noncharacters U+FDD0..U+FDEF
# and U+xFFFE, U+xFFFF of every plane. Removing them leaves XML 1.0 text.
_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
_BREAKS = re.compile(r"\r\n?")
# Any run of whitespace, line and paragraph separators included.
_SPACE = re.compile(r"[\s\u2028\u2029]+")
# Inline Markdown the bots render: emphasis, code, links, HTML, tables.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>~|])")
# A spreadsheet runs a cell as a formula when it starts with one of these
# (full-width forms too, which some spreadsheets fold), after any blanks.
_FORMULA_START = tuple("=+-@＝＋－＠")


def printable(text: Any) -> str:
    """Multi-line text every output can carry: line breaks kept (as LF),
    control characters and noncharacters removed."""
    return _UNSAFE.sub("", _BREAKS.sub("\n", str(text if text is not None else "")))


def one_line(text: Any) -> str:
    """A title or a name: `printable`, with every run of whitespace (line
    breaks and tabs too) made one space, trimmed."""
    return _SPACE.sub(" ", printable(text)).strip()


def for_xml(text: Any) -> str:
    """Atom (and any XML 1.0 document)."""
    return printable(text)


def for_header(text: Any) -> str:
    """A mail header value (Subject, a display name, List-Id)."""
    return one_line(text)


def for_ical(text: Any, *, multiline: bool = False) -> str:
    """An iCalendar TEXT value (the library escapes commas and line breaks)."""
    return printable(text) if multiline else one_line(text)


def for_mail_body(text: str) -> str:
    """A rendered mail body, text or HTML."""
    return printable(text)


def for_pdf(text: Any, *, multiline: bool = True) -> str:
    """Paragraph markup for reportlab: cleaned, escaped, line breaks as <br/>."""
    clean = printable(text) if multiline else one_line(text)
    return escape(clean).replace("\n", "<br/>")


def for_pdf_plain(text: Any) -> str:
    """Text reportlab draws as it is (chart labels, document metadata)."""
    return one_line(text)


def for_sheet(value: Any) -> Any:
    """A cell of an XLSX or CSV export: text cleaned, and a leading quote
    where a spreadsheet would take it for a formula."""
    if not isinstance(value, str):
        return value
    clean = printable(value)
    if clean.lstrip(" \t\n").startswith(_FORMULA_START) or clean[:1] in ("\t", "\n"):
        return "'" + clean
    return clean


def for_markdown(text: Any) -> str:
    """Inline text in a chat bot's Markdown: one line, its Markdown escaped,
    so a title cannot become a link, a heading or a quote."""
    return _MARKDOWN.sub(r"\\\1", one_line(text))
