"""Writes another site could make a browser send (CSRF, login CSRF).

A session cookie rides along on requests from any site, and a page elsewhere
can send a form or a `text/plain` "simple" request without a CORS preflight.
Every state-changing request not made with a bearer token therefore needs
either our CSRF token (a header or form field another site cannot read) or a
JSON body (which forces a preflight we never approve), and is refused when
the browser says it came from another site (`Sec-Fetch-Site`, `Origin`), as
Rails and Django do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf.csrf import validate_csrf

from workspace.errors import AppError, Forbidden

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# `none`: typed in or bookmarked by the user; `same-origin`: our own pages.
_OWN_FETCH_SITES = {"same-origin", "none"}


class JsonRequired(AppError):
    status, code = 415, "json_required"


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _our_hosts() -> set[str]:
    # The scheme is left out: behind a TLS proxy without TRUSTED_PROXIES the
    # app sees http while the browser says https, and another site cannot
    # take our host under either.
    public_url = current_app.extensions["jointlab.settings"].public_url
    return {request.host.lower(), _host(public_url)}


def refuse_cross_site() -> None:
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    foreign = (site is not None and site.lower() not in _OWN_FETCH_SITES) or (
        origin is not None and (origin == "null" or _host(origin) not in _our_hosts())
    )
    if foreign:
        raise Forbidden(
            f"Refused: this request came from another site ({origin or site}). Changes are "
            "accepted only from JointLab's own pages or with an API token.",
            code="cross_site_request",
        )


def has_valid_token(value: str | None) -> bool:
    try:
        validate_csrf(value)
    except Exception:
        return False
    return True


def require_header_token() -> None:
    """Cookie-authenticated API writes: the X-CSRF-Token header."""
    if not has_valid_token(request.headers.get("X-CSRF-Token")):
        raise Forbidden(
            "Missing or invalid CSRF token; send the X-CSRF-Token header from "
            "GET /api/v1/me (or the login answer).",
            code="csrf_failed",
        )


def require_json_or_token() -> None:
    """Routes without a session to hold a token yet (login) or that must not
    need one (logout): a JSON body or, if sent, a valid CSRF header."""
    header = request.headers.get("X-CSRF-Token")
    if header is not None:
        require_header_token()
        return
    if not request.is_json:
        raise JsonRequired(
            "Send the body as JSON with Content-Type: application/json (or the X-CSRF-Token "
            "header); forms and plain text are refused here so that another site cannot "
            "submit them for you."
        )


def protect_api_write(needs_token: bool) -> None:
    """Called for every state-changing API request made without a bearer token."""
    refuse_cross_site()
    if needs_token:
        require_header_token()
    else:
        require_json_or_token()
