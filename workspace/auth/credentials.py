"""What a long-lived connection was opened with, and whether it still stands.

A Socket.IO connection authenticates once, at connect, but lives for hours;
it keeps its `Credential` and asks `recheck` at every call, so it has exactly
the rights a REST request made now with the same cookie or token would have.
Each check is one primary-key read (the credential's row joined to its user).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth import sessions
from workspace.auth.models import ApiToken, User, UserSession
from workspace.auth.tokens import token_allows
from workspace.errors import Unauthorized

T = TypeVar("T")

MESSAGES = {
    "logout": "You logged out; this connection is closed.",
    "ended_by_user": "This session was ended from another device.",
    "password_changed": "The password changed; log in again.",
    "user_disabled": "This account is disabled.",
    "token_revoked": "The API token was revoked.",
    "session_expired": "The session expired; log in again.",
    "replaced": "Another login in this browser replaced this session.",
}


class CredentialEnded(Unauthorized):
    """A call on a connection whose credential is gone: REST's 401 code
    (`invalid_token` for tokens, `unauthorized` for cookies), plus the
    reason. The live channel drops the connection once the ack is out."""

    def __init__(self, reason: str, token: bool) -> None:
        super().__init__(
            MESSAGES.get(reason, "Log in again."), code="invalid_token" if token else "unauthorized"
        )
        self.reason = reason

    def envelope(self) -> dict[str, Any]:
        envelope = super().envelope()
        envelope["error"]["reason"] = self.reason
        return envelope


@dataclass(frozen=True)
class Credential:
    kind: str  # "session" (a login cookie) or "token"
    id: int  # the UserSession or ApiToken row
    user_id: int
    scopes: frozenset[str] | None = None  # None: a cookie, everything the user may do
    auth_v: str | None = None  # sessions: the password it was opened under

    def allows(self, scope: str) -> bool:
        return self.scopes is None or token_allows(set(self.scopes), scope)


def password_version(user: User) -> str:
    # A password change invalidates what was opened under the old one.
    return user.password_hash[-16:]


def recheck(session: Session, credential: Credential) -> tuple[User | None, str | None]:
    """The user if the credential still stands, else None and the reason:
    `token_revoked`, `user_disabled`, `password_changed`, or why the session
    ended (`logout`, `ended_by_user`, `session_expired`...)."""
    return recheck_many(session, [credential])[credential]


def recheck_many(
    session: Session, credentials: Iterable[Credential]
) -> dict[Credential, tuple[User | None, str | None]]:
    """`recheck` for several credentials at once: one read per kind, however
    many (the co-editing writer asks for every connection in its batch)."""
    wanted = set(credentials)
    tokens = _rows_with_users(session, ApiToken, {c.id for c in wanted if c.kind == "token"})
    logins = _rows_with_users(session, UserSession, {c.id for c in wanted if c.kind != "token"})
    return {
        c: _token_standing(tokens.get(c.id))
        if c.kind == "token"
        else _session_standing(c, logins.get(c.id))
        for c in wanted
    }


def _rows_with_users(session: Session, model: type[T], ids: set[int]) -> dict[int, tuple[T, User]]:
    """The credential rows of `ids` (ApiToken or UserSession), each with its user."""
    if not ids:
        return {}
    found = session.execute(
        select(model, User)
        .join(User, User.id == model.user_id)  # type: ignore[attr-defined]
        .where(model.id.in_(ids))  # type: ignore[attr-defined]
    ).tuples()
    return {row.id: (row, user) for row, user in found}  # type: ignore[attr-defined]


def _token_standing(found: tuple[ApiToken, User] | None) -> tuple[User | None, str | None]:
    if found is None or found[0].revoked_at is not None:
        return None, "token_revoked"
    user = found[1]
    return (user, None) if user.active else (None, "user_disabled")


def _session_standing(
    credential: Credential, found: tuple[UserSession, User] | None
) -> tuple[User | None, str | None]:
    if found is None:
        return None, "logout"
    row, user = found
    if not user.active:
        return None, "user_disabled"
    if credential.auth_v != password_version(user):
        return None, "password_changed"
    why = sessions.end_reason(row)
    return (None, why) if why else (user, None)


def require_standing(session: Session, credential: Credential) -> User:
    """`recheck`, raising CredentialEnded when the credential is gone."""
    return standing_or_ended(credential, *recheck(session, credential))


def standing_or_ended(credential: Credential, user: User | None, why: str | None) -> User:
    """The user of a `recheck` answer, or CredentialEnded with its reason."""
    if user is None:
        raise CredentialEnded(why or "logout", credential.kind == "token")
    return user
