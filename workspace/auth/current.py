"""Who is making this request: a session cookie or a bearer token.

Resolved once per request into `g.user` and `g.token_scopes` (None for a
cookie session, which may do whatever the user may do). Cookie-authenticated
writes must carry the CSRF token (header `X-CSRF-Token`); bearer requests
cannot be forged cross-site, so they need none.
"""

from __future__ import annotations

from flask import g, request, session

from workspace.auth.csrf import SAFE_METHODS, protect_api_write
from workspace.auth.models import User
from workspace.auth.tokens import token_allows, user_for_token
from workspace.db import db
from workspace.errors import BadRequest, Forbidden, Unauthorized


def load_request_user() -> None:
    g.user = None
    g.token_scopes = None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    query_token = _query_token()
    if token is None:
        token = query_token
    with db.reading() as s:
        if token is not None:
            found = user_for_token(s, token)
            if found is None:
                raise Unauthorized("The API token is invalid or revoked.", code="invalid_token")
            g.user, g.token_scopes = found
            return
        user_id = session.get("user_id")
        if user_id is not None:
            user = s.get(User, user_id)
            if user is not None and user.active and session.get("auth_v") == _auth_version(user):
                g.user = user
            else:
                session.clear()


def _query_token() -> str | None:
    """`?token=`, where a calendar or Atom reader needs it; refused elsewhere.

    A token in a URL ends up in browser history, proxy logs and Referer
    headers, so only the feeds that cannot do otherwise take one (SPEC)."""
    if "token" not in request.args:
        return None
    from workspace.http import QUERY_TOKEN_ENDPOINTS

    if request.endpoint not in QUERY_TOKEN_ENDPOINTS or request.method not in ("GET", "HEAD"):
        raise BadRequest(
            "API tokens are not accepted in the URL here (only the calendar and Atom feeds "
            "take ?token=); send it in the Authorization header: `Authorization: Bearer "
            "<token>`.", code="token_in_query")
    return request.args.get("token") or None


def _auth_version(user: User) -> str:
    # Changing the password logs out every other session of the user.
    return user.password_hash[-16:]


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["auth_v"] = _auth_version(user)


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
