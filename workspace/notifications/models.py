"""Preferences and the mail queue. A mail row is the unit of work of
`jobs.send_email`; it is rendered when sent, in the recipient's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow

CHOICES = ("immediate", "digest", "off")


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Only the choices that differ from the defaults are meaningful; all are kept.
    events: Mapped[dict[str, Any]] = mapped_column(default=dict)
    digest_hour: Mapped[int] = mapped_column(default=8)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutgoingMail(Base):
    __tablename__ = "outgoing_mails"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "event_id", name="uq_outgoing_mails_user_kind_event"),
        UniqueConstraint("user_id", "digest_date", name="uq_outgoing_mails_user_digest_date"),
        Index("ix_outgoing_mails_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # immediate, digest
    # Why the person gets it: the event type, or "mention".
    reason: Mapped[str] = mapped_column(String(64), default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    digest_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(250))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class DigestItem(Base):
    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", name="uq_digest_items_user_event"),
        Index("ix_digest_items_user_mail", "user_id", "mail_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(64), default="")
    mail_id: Mapped[int | None] = mapped_column(
        ForeignKey("outgoing_mails.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
