from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow
from workspace.fields import iso_utc


class Event(Base):
    """One entry of a workspace's log. `id` is the global cursor, `seq` the
    per-workspace one; both are assigned at commit time (see log.py)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "seq", name="uq_events_workspace_seq"),
        Index("ix_events_type_id", "type", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def envelope(self) -> dict[str, Any]:
        actor = None if self.actor_id is None else {"id": self.actor_id, "name": self.actor_name}
        return {
            "id": self.id,
            "seq": self.seq,
            "type": self.type,
            "workspace_id": self.workspace_id,
            "actor": actor,
            "occurred_at": iso_utc(self.occurred_at),
            "data": self.data,
        }
