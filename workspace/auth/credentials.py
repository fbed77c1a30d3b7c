"""What a long-lived connection was opened with, and whether it still stands.

A Socket.IO connection authenticates once, at connect, but lives for hours;
it keeps its `Credential` and asks `recheck` at every call, so it has exactly
the rights a REST request made now with the same cookie or token would have.
Each check is one primary-key read (the credential's row joined to its user).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth import sessions
from workspace.auth.models import ApiToken, User, UserSession
from workspace.auth.tokens import token_allows
from workspace.errors import Unauthorized

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
    answers: dict[Credential, tuple[User | None, str | None]] = {}
    token_ids = {c.id for c in wanted if c.kind == "token"}
    session_ids = {c.id for c in wanted if c.kind != "token"}
    tokens = (
        {
            t.id: (t, u)
            for t, u in session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.id.in_(token_ids))
            ).tuples()
        }
        if token_ids
        else {}
    )
    logins = (
        {
            r.id: (r, u)
            for r, u in session.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.id.in_(session_ids))
            ).tuples()
        }
        if session_ids
        else {}
    )
    for credential in wanted:
        if credential.kind == "token":
            answers[credential] = _token_standing(tokens.get(credential.id))
        else:
            answers[credential] = _session_standing(credential, logins.get(credential.id))
    return answers


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
