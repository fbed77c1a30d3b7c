"""Files of a workspace: one row per upload; the bytes live in storage,
content-addressed by their SHA-256, so identical uploads share one blob."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow

ATTACHABLE = ("trial", "milestone", "document")


class StoredFile(Base):
    __tablename__ = "files"
    __table_args__ = (Index("ix_files_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # At most one of these; a trial, milestone or document that goes away
    # leaves its files in the workspace rather than taking them along.
    trial_id: Mapped[int | None] = mapped_column(
        ForeignKey("trials.id", ondelete="SET NULL"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    # Thumbnail of an image: None while the background job has not run,
    # "ready" (stored under thumb_key(sha256)), or "none" (not an image we
    # could or would decode).
    thumbnail: Mapped[str | None] = mapped_column(String(8))

    @property
    def attached_to(self) -> dict | None:
        for kind in ATTACHABLE:
            target = getattr(self, f"{kind}_id")
            if target is not None:
                return {"type": kind, "id": target}
        return None
