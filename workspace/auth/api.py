from flask import g, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from workspace.auth import access, guards, service, tokens
from workspace.auth.current import (
    current_session_id,
    end_current_session,
    renew_session,
    require_user,
    start_session,
)
from workspace.auth.models import ApiToken
from workspace.auth.schemas import (
    LoginSchema,
    MeSchema,
    MeUpdateSchema,
    PasswordChangeSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
)
from workspace.db import db
from workspace.errors import Forbidden, NotFound
from workspace.http import cursor_int, endpoint, page_of


def _me(user: object) -> dict:
    if g.get("token_scopes") is not None:
        return UserSchema().dump(user)  # bearer calls need no CSRF token and keep no session
    return {**UserSchema().dump(user), "csrf_token": generate_csrf()}


@endpoint(
    "/auth/login",
    "POST",
    summary="Log in; sets the session cookie",
    tag="auth",
    body=LoginSchema(),
    response=MeSchema(),
    scope=None,
    limits="20 failed attempts a minute per address; after 3 failures on one account "
    "from one address, that address waits 1 s, 2 s, 4 s… (429 with Retry-After)",
    doc_responses={
        "401": {"description": "`invalid_credentials` or `account_disabled`"},
        "429": {"description": "Too many failed attempts: wait Retry-After seconds"},
    },
)
def login(data: dict) -> object:
    with db.reading() as s:
        user = service.authenticate(
            s, data["email"], data["password"], request.remote_addr or "unknown"
        )
    start_session(user)
    return _me(user)


@endpoint("/auth/logout", "POST", summary="Log out", tag="auth", scope=None)
def logout() -> object:
    end_current_session()
    return None


@endpoint(
    "/me",
    summary="The current user, with the CSRF token for cookie writes",
    tag="auth",
    response=MeSchema(),
)
def me() -> object:
    return _me(require_user())


@endpoint(
    "/me",
    "PATCH",
    summary="Change my name, language or time zone",
    tag="auth",
    body=MeUpdateSchema(),
    response=MeSchema(),
)
def update_me(data: dict) -> object:
    with db.transaction() as s:
        user = service.update_me(s, require_user(), data)
    return _me(user)


@endpoint(
    "/me/password",
    "POST",
    guard=guards.browser_sessions,
    summary="Change my password (the current one is required); "
    "my other sessions end, this one stays signed in with a new CSRF token. Cookie "
    "sessions only: API tokens get 403 session_required",
    tag="auth",
    body=PasswordChangeSchema(),
    response=MeSchema(),
    limits="wrong current passwords are throttled like logins (429 with Retry-After)",
    doc_responses={
        "429": {"description": "Too many wrong current passwords: wait Retry-After seconds"}
    },
)
def change_password(data: dict) -> object:
    user = require_user()
    if g.token_scopes is not None:
        # As on GitHub and GitLab: a leaked token must not be able to take the account.
        raise Forbidden(
            "Change your password from a signed-in browser session; API tokens cannot.",
            code="session_required",
        )
    with db.transaction() as s:
        row = service.change_password(
            s,
            user,
            data["current_password"],
            data["new_password"],
            request.remote_addr or "unknown",
            keep_session_id=current_session_id(),
        )
        renew_session(s, row)  # re-issued under the new password: this session stays
        return _me(row)


@endpoint("/me/tokens", summary="My API tokens", tag="auth", response=TokenSchema(), paginated=True)
def list_tokens(query: dict) -> object:
    user = require_user()
    with db.reading() as s:
        rows = list(
            s.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.id > cursor_int(query["cursor"]))
                .order_by(ApiToken.id)
                .limit(query["limit"] + 1)
            )
        )
    return page_of(rows, query["limit"])


@endpoint(
    "/me/tokens",
    "POST",
    summary="Create an API token (the secret is shown once)",
    tag="auth",
    body=TokenCreateSchema(),
    response=TokenSchema(),
    status=201,
)
def create_token(data: dict) -> object:
    user = require_user()
    with db.transaction() as s:
        row, secret = tokens.create_token(s, user, data["name"], data["scopes"])
    return {**TokenSchema().dump(row), "token": secret}, 201


@endpoint("/me/tokens/<int:token_id>", "DELETE", summary="Revoke an API token", tag="auth")
def revoke_token(token_id: int) -> object:
    with db.transaction() as s:
        if tokens.revoke_token(s, require_user(), token_id) is None:
            raise NotFound("Token not found.")
    return None


@endpoint(
    "/users",
    guard=guards.admins,
    summary="List users (admins)",
    tag="users",
    response=UserSchema(),
    paginated=True,
)
def list_users(query: dict) -> object:
    if not access.administers_users(require_user()):
        raise Forbidden("Only admins can list users.")
    with db.reading() as s:
        rows = service.list_users(s, cursor_int(query["cursor"]), query["limit"])
    return page_of(rows, query["limit"])


@endpoint(
    "/users",
    "POST",
    guard=guards.admins,
    summary="Create a user (admins)",
    tag="users",
    body=UserCreateSchema(),
    response=UserSchema(),
    status=201,
)
def create_user(data: dict) -> object:
    with db.transaction() as s:
        return service.create_user(s, actor=require_user(), **data)
