"""Documents: one Yjs text each, stored as a snapshot plus the updates since.

The CRDT state is the truth; no table holds the plain text of the live
document (a version keeps a text copy of its moment, for reading and diffs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workspace.auth.models import User
from workspace.db import Base, utcnow

DOCUMENT_KINDS = ("problem_statement", "answer")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        # SPEC: exactly one problem statement per workspace.
        Index(
            "uq_documents_one_statement",
            "workspace_id",
            unique=True,
            sqlite_where=text("kind = 'problem_statement'"),
            postgresql_where=text("kind = 'problem_statement'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # No foreign key: documents and versions would reference each other, which
    # SQLite cannot create in one migration; the service keeps it consistent.
    agreed_version_id: Mapped[int | None] = mapped_column(Integer)
    last_version_at: Mapped[datetime | None]
    # document.edited coalescing: when the last one was recorded, and who has
    # edited since (a list of {"id", "name"}).
    edited_event_at: Mapped[datetime | None]
    pending_editors: Mapped[list[Any]] = mapped_column(default=list)


class DocumentSnapshot(Base):
    """The compacted full state; exists from the document's creation on."""

    __tablename__ = "document_snapshots"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[bytes] = mapped_column(LargeBinary)
    merged_updates: Mapped[int] = mapped_column(BigInteger, default=0)
    compacted_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentUpdate(Base):
    """One accepted Yjs update. `seq` only orders rows for reading: Yjs updates
    commute, so a row committed out of order is still applied correctly."""

    __tablename__ = "document_updates"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentVersion(Base):
    """A named copy of the state and its text at one moment."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    auto: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str] = mapped_column(Text)

    author: Mapped[User | None] = relationship(lazy="joined")
    approvals: Mapped[list[VersionApproval]] = relationship(
        lazy="selectin", order_by="VersionApproval.created_at", cascade="all, delete-orphan"
    )


class VersionApproval(Base):
    __tablename__ = "version_approvals"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class Comment(Base):
    __tablename__ = "document_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # The range as given (code points) with its quote and context, found again
    # in the current text on reading (see anchors.py).
    anchor_from: Mapped[int | None] = mapped_column(Integer)
    anchor_to: Mapped[int | None] = mapped_column(Integer)
    anchor_quote: Mapped[str | None] = mapped_column(Text)
    anchor_prefix: Mapped[str | None] = mapped_column(Text)
    anchor_suffix: Mapped[str | None] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Threads (SPEC v1.1): a reply names its top-level comment; only a
    # top-level comment is resolved.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_comments.id", ondelete="CASCADE"), index=True
    )
    resolved: Mapped[bool] = mapped_column(default=False, server_default=false())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[resolved_by_id])


SUGGESTION_STATUSES = ("open", "accepted", "rejected", "outdated")


class Suggestion(Base):
    """A proposed replacement of a range of the text (SPEC v1.1, suggested
    edits). The range is kept as comments keep theirs (anchors.py): the quote,
    its context and where it was, found again in the live text."""

    __tablename__ = "document_suggestions"
    __table_args__ = (Index("ix_document_suggestions_document_status", "document_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    anchor_from: Mapped[int] = mapped_column(Integer)
    anchor_to: Mapped[int] = mapped_column(Integer)
    anchor_quote: Mapped[str] = mapped_column(Text)
    anchor_prefix: Mapped[str] = mapped_column(Text)
    anchor_suffix: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[decided_by_id])
