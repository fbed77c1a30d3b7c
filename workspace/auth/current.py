"""Who is making this request: a session cookie or a bearer token.

Resolved once per request into `g.user` and `g.token_scopes` (None for a
cookie session, which may do whatever the user may do). Cookie-authenticated
writes must carry the CSRF token (header `X-CSRF-Token`); bearer requests
cannot be forged cross-site, so they need none.

The cookie (signed by Flask) carries `user_id`, `auth_v` (the password it was
opened under) and `sid`, the secret naming a server-side session row
(auth/sessions.py): a saved copy of the cookie stops working the moment that
row ends (logout, password change, an admin disabling the user).
"""

from __future__ import annotations

from typing import Any

from flask import g, request, session

from workspace.auth import sessions, tokens
from workspace.auth.credentials import Credential, password_version
from workspace.auth.csrf import SAFE_METHODS, protect_api_write
from workspace.auth.models import User, UserSession
from workspace.auth.service import follow_browser_locale
from workspace.auth.tokens import token_allows
from workspace.db import db
from workspace.errors import BadRequest, Forbidden, Unauthorized
from workspace.i18n import SUPPORTED, browser_locale


def load_request_user() -> None:
    g.user = None
    g.token_scopes = None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    query_token = _query_token()
    if token is None:
        token = query_token
    with db.lookup() as s:  # one statement either way: token or cookie, with its user
        if token is not None:
            row = tokens.token_row(s, token)
            if row is None:
                raise Unauthorized("The API token is invalid or revoked.", code="invalid_token")
            g.user, g.token_scopes = row.user, set(row.scopes)
            if tokens.due_for_touch(row):
                with db.transaction() as w:
                    tokens.touch(w, row.id)
            return
        found = cookie_session(s)
    if found is not None:
        g.user = found[1]


# Endpoint names of the feeds a calendar or Atom reader subscribes to: the only
# routes that take an API token from `?token=` (readers cannot send headers).
# `@endpoint(query_token=True)` (workspace/http.py) adds them.
QUERY_TOKEN_ENDPOINTS: set[str] = set()


def _query_token() -> str | None:
    """`?token=`, where a calendar or Atom reader needs it; refused elsewhere.

    A token in a URL ends up in browser history, proxy logs and Referer
    headers, so only the feeds that cannot do otherwise take one (SPEC)."""
    if "token" not in request.args:
        return None

    if request.endpoint not in QUERY_TOKEN_ENDPOINTS or request.method not in ("GET", "HEAD"):
        raise BadRequest(
            "API tokens are not accepted in the URL here (only the calendar and Atom feeds "
            "take ?token=); send it in the Authorization header: `Authorization: Bearer "
            "<token>`.",
            code="token_in_query",
        )
    return request.args.get("token") or None


def cookie_session(s: Any) -> tuple[UserSession, User] | None:
    """The standing session and user this request's cookie names, else None
    (and a cookie that names none is cleared). Records `g.session_id` and
    touches `last_seen_at` at most every few minutes."""
    if session.get("user_id") is None and session.get("sid") is None:
        return None
    found = sessions.find(s, session.get("sid"))
    if found is not None:
        row, user = found
        if (
            row.user_id == session.get("user_id")
            and user.active
            and session.get("auth_v") == password_version(user)
        ):
            g.session_id = row.id
            if sessions.due_for_touch(row):
                with db.transaction() as w:
                    sessions.touch(w, row.id, request.remote_addr or "")
            return row, user
    session.clear()
    return None


def cookie_credential(row: UserSession, user: User) -> Credential:
    """What a Socket.IO connection opened with this cookie keeps (realtime)."""
    return Credential("session", row.id, user.id, None, password_version(user))


def current_session_id() -> int | None:
    """The session row behind this request's cookie (None for bearer calls):
    the `except_id` a password change passes to `sessions.end_sessions`."""
    return g.get("session_id")


def _new_session_row(s: Any, user: User) -> tuple[UserSession, str]:
    """A session row for this browser; someone who never chose a language gets
    their mails in the one this browser speaks (its cookie, else Accept-Language)."""
    row, secret = sessions.start(
        s, user, user_agent=request.user_agent.string, ip=request.remote_addr or ""
    )
    spoken = request.cookies.get("locale")
    spoken = spoken if spoken in SUPPORTED else browser_locale()
    if spoken is not None:
        follow_browser_locale(s, user, spoken)
    return row, secret


def _hold_session(user: User, row: UserSession, secret: str) -> None:
    """What the (already cleared) cookie names: the user, the password
    version it was signed in with, and the session row's secret."""
    session.permanent = True
    session["user_id"] = user.id
    session["auth_v"] = password_version(user)
    session["sid"] = secret
    g.session_id = row.id


def start_session(user: User) -> None:
    """Log in: a new session row and a cookie naming it. A session the
    browser held before (another login on the same browser) ends."""
    previous = session.get("sid")
    with db.transaction() as s:
        if previous:
            sessions.end_by_secret(s, previous, "replaced")
        row, secret = _new_session_row(s, user)
    session.clear()
    _hold_session(user, row, secret)


def renew_session(s: Any, user: User) -> None:
    """After a password change, in its transaction: this browser stays signed
    in (same row, a fresh secret, the new password version) while the user's
    other sessions end (`sessions.end_sessions`, called by the service)."""
    found = sessions.find(s, session.get("sid"))
    if found is None or found[0].user_id != user.id:
        row, secret = _new_session_row(s, user)
    else:
        row, secret = found[0], sessions.rotate(found[0])
    session.clear()  # a new CSRF token too
    g.pop("csrf_token", None)
    _hold_session(user, row, secret)


def end_current_session(reason: str = "logout") -> None:
    """Log out: the row ends (a saved copy of the cookie no longer works) and
    the cookie is cleared; the session's open sockets are told and dropped."""
    secret = session.get("sid")
    if secret:
        with db.transaction() as s:
            sessions.end_by_secret(s, secret, reason)
    session.clear()
    g.pop("session_id", None)


def require_user() -> User:
    if g.get("user") is None:
        raise Unauthorized("Log in or send an API token.")
    return g.user


def require_scope(scope: str) -> None:
    require_user()
    if g.token_scopes is not None:
        if not token_allows(g.token_scopes, scope):
            raise Forbidden(f"This token lacks the `{scope}` scope.", code="insufficient_scope")
        return
    if request.method not in SAFE_METHODS:
        protect_api_write(needs_token=True)


def protect_anonymous_write() -> None:
    """Writes of routes open to everyone (login, logout): bearer calls cannot
    be forged; anything else must not come from another site's page."""
    if request.method not in SAFE_METHODS and g.get("token_scopes") is None:
        protect_api_write(needs_token=False)
