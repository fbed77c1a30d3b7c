"""No secret reaches a log line.

Feed readers put an API token in the URL (`?token=`), and request logs write
URLs out whole: Werkzeug's (`python wsgi.py`), gunicorn's access log when an
operator turns it on, and our own modules' loggers. Every log record made in
the process is rewritten when it is created, before any logger, filter or
handler (ours, gunicorn's or an operator's) sees it: a filter on some loggers
would miss records that other loggers propagate.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
# Query keys whose values are secrets; compared after percent-decoding, so
# `%74oken=` is caught like `token=`.
_SECRET_KEYS = ("token", "password", "secret")
_PARAM = re.compile(r"(?P<key>[?&;][^=&;\s#\"']{1,64}=)(?P<value>[^&;\s#\"']*)")
# Our API tokens wherever else they might appear (a path, a header dump).
_API_TOKEN = re.compile(r"\bjl_[A-Za-z0-9_-]{16,}")
_HINTS = ("token", "password", "secret", "jl_", "%")


def redact(text: str) -> str:
    lowered = text.lower()
    if not any(hint in lowered for hint in _HINTS):
        return text

    def param(match: re.Match[str]) -> str:
        key = unquote_plus(match.group("key")[1:-1]).lower()
        if match.group("value") and any(word in key for word in _SECRET_KEYS):
            return match.group("key") + REDACTED
        return match.group(0)

    return _API_TOKEN.sub("jl_" + REDACTED, _PARAM.sub(param, text))


def _redacting(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's to report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    make.jointlab_redacts = True  # type: ignore[attr-defined]
    return make


def install() -> None:
    """Idempotent: tests build many apps in one process."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "jointlab_redacts", False):
        logging.setLogRecordFactory(_redacting(current))
