"""Every sentence a page, mail or bot shows in English also exists in Chinese:
a string added without its translation would show English to a Chinese user."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "workspace/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
METHODS = [("templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _extracted() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("workspace", "jobs", "realtime"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / package, METHODS, keywords=KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def test_every_message_has_a_chinese_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {(m.id if isinstance(m.id, str) else m.id[0])
                  for m in catalog if m.id and m.string and not m.fuzzy}
    extracted = _extracted()
    assert len(extracted) > 300  # the extraction itself found the strings
    untranslated = {msgid: where for msgid, where in extracted.items()
                    if msgid not in translated}
    assert not untranslated, untranslated
