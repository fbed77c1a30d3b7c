"""No secret reaches a log line.

Feed readers put an API token in the URL (`?token=`), and request logs write
URLs out whole: Werkzeug's (`python wsgi.py`), gunicorn's access log when an
operator turns it on, and our own. A filter on those loggers rewrites each
line before any handler sees it.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
# Query keys whose values are secrets; compared after percent-decoding, so
# `%74oken=` is caught like `token=`.
_SECRET_KEYS = ("token", "password", "secret")
_PARAM = re.compile(r"(?P<key>[?&;][^=&;\s#\"']{1,64}=)(?P<value>[^&;\s#\"']*)")
# Our API tokens wherever else they might appear (a path, a header dump).
_API_TOKEN = re.compile(r"\bjl_[A-Za-z0-9_-]{16,}")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "engineio.server",
           "socketio.server")


def redact(text: str) -> str:
    def param(match: re.Match[str]) -> str:
        key = unquote_plus(match.group("key")[1:-1]).lower()
        if match.group("value") and any(word in key for word in _SECRET_KEYS):
            return match.group("key") + REDACTED
        return match.group(0)

    return _API_TOKEN.sub("jl_" + REDACTED, _PARAM.sub(param, text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactSecrets()


def install(*extra: logging.Logger) -> None:
    """Idempotent: tests build many apps in one process."""
    for logger in [logging.getLogger(name) for name in LOGGERS] + list(extra):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
