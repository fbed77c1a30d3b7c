"""Server-side sessions: what a login cookie names, and how it ends.

The cookie carries a random secret; the row stores its SHA-256 (a copy of
the table is no master key). Every cookie request finds the row by that
digest (a unique index) and refuses it once ended or idle for longer than
IDLE_LIFETIME. `last_seen_at` is written at most every TOUCH_EVERY, so
reading pages costs no write per request.

Ending rows tells the user's open Socket.IO connections at once (an access
notice, published after commit); those opened with an ended session are
disconnected.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspace.auth.models import User, UserSession
from workspace.auth.notices import note_access_change
from workspace.db import utcnow
from workspace.errors import NotFound

IDLE_LIFETIME = timedelta(days=14)  # as the cookie's own lifetime (app.py)
TOUCH_EVERY = timedelta(minutes=5)
MAX_USER_AGENT = 300


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(session: Session, user: User, *, user_agent: str, ip: str) -> tuple[UserSession, str]:
    """A new session row; returns it and the secret for the cookie (shown once)."""
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        secret_hash=digest(secret),
        user_id=user.id,
        user_agent=(user_agent or "")[:MAX_USER_AGENT],
        ip=(ip or "")[:64],
    )
    session.add(row)
    session.flush()
    return row, secret


def rotate(row: UserSession) -> str:
    """A fresh secret for a standing row (after a privilege change, so a
    cookie copied before it no longer works); returns it for the cookie."""
    secret = secrets.token_urlsafe(32)
    row.secret_hash = digest(secret)
    return secret


def end_reason(row: UserSession, now: datetime | None = None) -> str | None:
    """None while the session stands, else why it does not."""
    if row.ended_at is not None:
        return row.end_reason or "logout"
    if row.last_seen_at < (now or utcnow()) - IDLE_LIFETIME:
        return "session_expired"
    return None


def find(session: Session, secret: str) -> tuple[UserSession, User] | None:
    """The standing session a cookie names, with its user (one indexed read)."""
    if not isinstance(secret, str) or not secret:
        return None
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.secret_hash == digest(secret))
    ).first()
    if found is None or end_reason(found[0]) is not None:
        return None
    return found[0], found[1]


def due_for_touch(row: UserSession, now: datetime | None = None) -> bool:
    return row.last_seen_at < (now or utcnow()) - TOUCH_EVERY


def touch(session: Session, session_id: int, ip: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(last_seen_at=utcnow(), ip=(ip or "")[:64])
    )


def _end(session: Session, rows: list[UserSession], reason: str) -> None:
    now = utcnow()
    for row in rows:
        row.ended_at, row.end_reason = now, reason


def end_by_secret(session: Session, secret: str, reason: str) -> UserSession | None:
    """End the session a cookie names (logout); None if it had already ended."""
    found = find(session, secret)
    if found is None:
        return None
    row = found[0]
    _end(session, [row], reason)
    note_access_change(session, row.user_id, reason)
    return row


def end_session(
    session: Session, user: User, session_id: int, reason: str = "ended_by_user"
) -> UserSession:
    """A user ends one of their own sessions (another device, or this one)."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or end_reason(row) is not None:
        raise NotFound("Session not found.")
    _end(session, [row], reason)
    note_access_change(session, user.id, reason)
    return row


def end_sessions(
    session: Session, user_id: int, except_id: int | None = None, reason: str = "password_changed"
) -> int:
    """End every standing session of a user but `except_id` (the caller's own,
    on a password change); returns how many ended.

    The notice goes out even when no row ended: after a password change the
    sockets opened with the old password are dropped by their password check.
    """
    stmt = select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if except_id is not None:
        stmt = stmt.where(UserSession.id != except_id)
    rows = list(session.scalars(stmt))
    _end(session, rows, reason)
    note_access_change(session, user_id, reason)
    return len(rows)


def list_standing(session: Session, user_id: int, after_id: int, limit: int) -> list[UserSession]:
    """The user's standing sessions, oldest first (fetches `limit + 1`)."""
    cutoff = utcnow() - IDLE_LIFETIME
    return list(
        session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.id > after_id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at >= cutoff,
            )
            .order_by(UserSession.id)
            .limit(limit + 1)
        )
    )
