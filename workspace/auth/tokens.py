"""API tokens: shown once, stored as a SHA-256 digest, checked by scope."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspace.auth.models import TOKEN_SCOPES, ApiToken, User
from workspace.auth.notices import note_access_change
from workspace.db import utcnow
from workspace.errors import ValidationFailed

TOKEN_PREFIX = "jl_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str, scopes: list[str]
) -> tuple[ApiToken, str]:
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown or not scopes:
        raise ValidationFailed(
            "Unknown or missing scopes.",
            fields={"scopes": [f"Choose from {', '.join(TOKEN_SCOPES)}."]},
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        scopes=sorted(set(scopes)),
        token_hash=digest(secret),
        prefix=secret[:10],
    )
    session.add(row)
    session.flush()
    return row, secret


def token_row(session: Session, token: str) -> ApiToken | None:
    """The standing token row (with its user) for a secret, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row


# "Last used" is for a person deciding whether a token is stale (as on GitHub,
# where it is shown to the week): minutes of precision are plenty, and a write
# on every bearer call would double the cost of a read.
TOUCH_EVERY = timedelta(minutes=5)


def due_for_touch(row: ApiToken, now: datetime | None = None) -> bool:
    return row.last_used_at is None or row.last_used_at < (now or utcnow()) - TOUCH_EVERY


def touch(session: Session, token_id: int) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def token_allows(scopes: set[str], needed: str) -> bool:
    """`write` implies `read`; `measurements:write` allows only that."""
    if needed in scopes:
        return True
    if needed == "read":
        return "write" in scopes
    if needed == "measurements:write":
        return "write" in scopes
    return False


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken | None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        # Sockets opened with it are dropped once this commits.
        note_access_change(session, user.id, "token_revoked")
    return row


def describe(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "scopes": row.scopes, "prefix": row.prefix}
