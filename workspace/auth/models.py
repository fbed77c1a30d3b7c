from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.db import Base, utcnow
from workspace.organizations.models import Organization
from workspace.zones import DEFAULT_TIMEZONE

PLATFORM_ROLES = ("member", "manager", "admin")
LOCALES = ("zh-CN", "en")
TOKEN_SCOPES = ("read", "write", "measurements:write")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # False until the person (or an admin creating the account) picks a
    # language: meanwhile pages follow each browser and `locale` tracks the
    # browser they last signed in with (for mails).
    locale_chosen: Mapped[bool] = mapped_column(default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def side(self) -> str:
        kind = self.organization.kind if self.organization is not None else None
        return kind if kind in ("enterprise", "university") else "other"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


class ApiToken(Base):
    """A personal access token. Only its SHA-256 is stored: tokens carry 256 bits
    of randomness, so a slow KDF would add latency without adding safety."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in browser. The cookie carries a random secret; only its
    SHA-256 is stored, so a database read does not hand out live sessions.
    Ending a row (logout, password change, an admin disabling the user, the
    user ending it from another device) ends the cookie everywhere at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None]
    # logout, ended_by_user, password_changed, user_disabled, replaced
    end_reason: Mapped[str | None] = mapped_column(String(32))
