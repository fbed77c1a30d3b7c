"""English and Simplified Chinese, chosen per user, else by the browser.

Catalogs live in workspace/translations as .po files; they are compiled to .mo
at start when missing or older, so no build step stands between a clone and
`python wsgi.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import flask_babel
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, g, has_app_context, request
from flask_babel import Babel, format_date, format_datetime

from workspace.zones import zone_name

SUPPORTED = ("zh-CN", "en")
BABEL_CODES = {"zh-CN": "zh_Hans_CN", "en": "en"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    return BABEL_CODES[current_locale()]


def current_locale() -> str:
    """This browser's switch (the `locale` cookie) first: on a login shared by
    several people (the demo), switching changes only that browser. Then the
    language the person chose for their account; then the browser's own."""
    chosen = request.cookies.get("locale") if request else None
    if chosen in SUPPORTED:
        return chosen
    user = g.get("page_user") or g.get("user")
    if user is not None and getattr(user, "locale_chosen", False) and user.locale in SUPPORTED:
        return user.locale
    browser = browser_locale()
    if browser is not None:
        return browser
    return user.locale if user is not None and user.locale in SUPPORTED else "en"


def browser_locale() -> str | None:
    """The language the browser asks for (Accept-Language), if we speak it."""
    if not request:
        return None
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return None if best is None else "en" if best == "en" else "zh-CN"


def select_timezone() -> str:
    user = g.get("page_user") or g.get("user")
    return zone_name(getattr(user, "timezone", None))


# Text for one reader (a mail, a bot message, an export) is made in that
# reader's language by whoever runs it: a request, a worker job or a drain's
# thread with no Flask app at all. The services call the functions below;
# only this module asks Flask-Babel, and only for the request's own language.
_reader: ContextVar[tuple[Locale, NullTranslations] | None] = ContextVar(
    "jointlab_reader_locale", default=None
)


@cache
def _catalog(code: str) -> NullTranslations:
    compile_catalogs()
    return Translations.load(str(TRANSLATIONS), [code])


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Everything made inside speaks `locale` ("en" or "zh-CN"; anything
    else reads as Chinese, the workspace's first language), templates too."""
    code = BABEL_CODES.get(locale or "", "zh_Hans_CN")
    token = _reader.set((Locale.parse(code), _catalog(code)))
    try:
        if has_app_context():  # Jinja's `_` in mail templates asks Flask-Babel
            with flask_babel.force_locale(code):
                yield
        else:
            yield
    finally:
        _reader.reset(token)


def _translations() -> NullTranslations:
    reader = _reader.get()
    return reader[1] if reader is not None else flask_babel.get_translations()


def gettext(string: str, **variables: Any) -> str:
    text = _translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def get_locale() -> Locale | None:
    """The language text is being made in (None: no reader and no request)."""
    reader = _reader.get()
    return reader[0] if reader is not None else flask_babel.get_locale()


def compile_catalogs() -> None:
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as src:
            catalog = read_po(src)
        with mo.open("wb") as dst:
            write_mo(dst, catalog)


def init_i18n(app: Flask) -> None:
    compile_catalogs()
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(TRANSLATIONS),
    )

    @app.context_processor
    def _locale() -> dict[str, Any]:
        # Pages format every time in one place (static/js/app.js), in the
        # reader's zone as the server renders it, whatever the browser's is.
        return {
            "current_locale": current_locale(),
            "current_timezone": select_timezone(),
            "format_date": format_date,
            "format_datetime": format_datetime,
        }
