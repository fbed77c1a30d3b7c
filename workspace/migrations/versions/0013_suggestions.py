"""suggested edits (SPEC v1.1)

Revision ID: 0013_suggestions
Revises: 0013_trial_counters

A suggestion keeps its range as a comment anchor does (quote, context and
position, found again in the live text) with the proposed replacement, and
who decided it and when.
"""
import sqlalchemy as sa
from alembic import op

import workspace.db

revision = "0013_suggestions"
down_revision = "0013_trial_counters"
branch_labels = None
depends_on = None

UTC = workspace.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "document_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("anchor_from", sa.Integer(), nullable=False),
        sa.Column("anchor_to", sa.Integer(), nullable=False),
        sa.Column("anchor_quote", sa.Text(), nullable=False),
        sa.Column("anchor_prefix", sa.Text(), nullable=False),
        sa.Column("anchor_suffix", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_suggestions_document_id_documents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_document_suggestions_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_document_suggestions_decided_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_suggestions")),
    )
    op.create_index("ix_document_suggestions_document_status", "document_suggestions",
                    ["document_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_document_suggestions_document_status",
                  table_name="document_suggestions")
    op.drop_table("document_suggestions")
