"""Every sentence a page, mail or bot shows in English also exists in Chinese:
a string added without its translation would show English to a Chinese user."""

from __future__ import annotations

import re
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
            ROOT / package, METHODS, keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def test_every_message_has_a_chinese_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and not m.fuzzy
    }
    extracted = _extracted()
    assert len(extracted) > 300  # the extraction itself found the strings
    untranslated = {msgid: where for msgid, where in extracted.items() if msgid not in translated}
    assert not untranslated, untranslated


# ----------------------------------------------------------------- words for values
# Issue 15: a value shown to people (a status, an outcome, a role, an event type
# in the notification settings, a control-chart rule) always comes with words,
# in both languages; a new value without them fails here instead of reaching
# a page as a raw key such as `trial.alert`.


def test_every_notification_choice_is_named_in_words(app):
    from workspace.notifications import preferences
    from workspace.notifications.pages import labels

    with app.test_request_context():
        words = labels()
    missing = [k for k in preferences.known_keys() if k not in words or words[k] == k]
    assert not missing, missing


def test_values_shown_in_sentences_and_badges_have_words(app):
    from workspace.dashboard.labels import labels as dashboard_words
    from workspace.events.presentation import words as templates
    from workspace.milestones.models import MILESTONE_STATUSES
    from workspace.spaces.models import WORKSPACE_ROLES, WORKSPACE_STATUSES
    from workspace.trials.models import OUTCOMES, TRIAL_STATUSES
    from workspace.trials.spc import RULES

    with app.test_request_context():
        sentences, dashboard = templates(), dashboard_words()
    in_sentences = {f"_value.{v}" for v in (*TRIAL_STATUSES, *OUTCOMES, *WORKSPACE_ROLES)}
    in_sentences |= {f"_rule.{r}" for r in RULES.values()}
    assert in_sentences <= set(sentences), in_sentences - set(sentences)
    on_dashboard = {*WORKSPACE_STATUSES, *TRIAL_STATUSES, *OUTCOMES, *MILESTONE_STATUSES}
    assert on_dashboard <= set(dashboard), on_dashboard - set(dashboard)
    trial_strings = (ROOT / "workspace/templates/trials/_strings.html").read_text()
    for value in (*TRIAL_STATUSES, *OUTCOMES):
        assert f'"{value}": _("' in trial_strings, value


# Where script puts text on the page. A literal of words there would show
# English to a Chinese reader: pages hand their words to script as JSON.
VISIBLE_SINK = re.compile(
    r"""(?:\.(?:textContent|innerText|placeholder|title)\s*=|\b(?:alert|confirm|createTextNode)\()"""
    r"""\s*(["'`])([^"'`]*?[A-Za-z]{2,}[^"'`]*)\1"""
)
# `append` also adds form fields (`form.append("file", …)`): there, only words with a space.
APPENDED = re.compile(
    r"""\.(?:append|prepend)\(\s*(["'`])([^"'`]*?[A-Za-z]{2,} [A-Za-z][^"'`]*)\1"""
)


def test_scripts_build_no_sentences_of_their_own():
    found = []
    for path in [
        *sorted((ROOT / "static/js").glob("*.js")),
        *sorted((ROOT / "static/editor-src/src").glob("*.js")),
    ]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            found += [
                f"{path.relative_to(ROOT)}:{number}: {m.group(2)!r}"
                for sink in (VISIBLE_SINK, APPENDED)
                for m in sink.finditer(line)
            ]
    assert not found, found
