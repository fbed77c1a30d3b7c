"""Where a page may send the browser after login or a language switch.

A `next` parameter is attacker-chosen: a link to our login page must never
bounce its reader to another site. The check follows Django's
`url_has_allowed_host_and_scheme` (itself modelled on what browsers do) and is
stricter: only a path on this site passes, never a scheme or a host, not even
our own, so no spelling of "another origin" can slip through.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def _browser_would_misread(target: str) -> bool:
    """Characters browsers drop or reinterpret while parsing a URL.

    Browsers remove tab, CR and LF anywhere and strip C0 controls and spaces at
    both ends (WHATWG URL), and read `\\` as `/` in http(s) URLs: `/\\t/evil`,
    `/\\evil` and ` //evil` all become `//evil`, a link to another host."""
    for char in target:
        if char == "\\" or char.isspace() or unicodedata.category(char)[0] == "C":
            return True
    return False


def is_local_path(target: str | None) -> bool:
    """True when `target` can only mean a path on this site."""
    if not target or not target.startswith("/") or _browser_would_misread(target):
        return False
    if target.startswith("//"):  # scheme-relative: another host
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (as GitHub and
    Django do: a bad `next` is ignored, not an error)."""
    return target if is_local_path(target) else default
