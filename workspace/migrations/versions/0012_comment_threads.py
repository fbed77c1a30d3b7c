"""comment threads: replies, resolve and reopen, edits (SPEC v1.1)

Revision ID: 0012_comment_threads
Revises: 0012 (locale chosen)

A reply points at the top-level comment it answers (one level deep, like
Google Docs); only a top-level comment is resolved. Deleting a top-level
comment deletes its replies (the service does it; the foreign key cascades
too where the database enforces it).
"""
import sqlalchemy as sa
from alembic import op

import workspace.db

revision = "0012_comment_threads"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC = workspace.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("document_comments") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resolved_at", UTC, nullable=True))
        batch.add_column(sa.Column("edited_at", UTC, nullable=True))
        batch.create_foreign_key(op.f("fk_document_comments_parent_id_document_comments"),
                                 "document_comments", ["parent_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_foreign_key(op.f("fk_document_comments_resolved_by_id_users"),
                                 "users", ["resolved_by_id"], ["id"], ondelete="SET NULL")
        batch.create_index(op.f("ix_document_comments_parent_id"), ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("document_comments") as batch:
        batch.drop_index(op.f("ix_document_comments_parent_id"))
        batch.drop_constraint(op.f("fk_document_comments_resolved_by_id_users"),
                              type_="foreignkey")
        batch.drop_constraint(op.f("fk_document_comments_parent_id_document_comments"),
                              type_="foreignkey")
        batch.drop_column("edited_at")
        batch.drop_column("resolved_at")
        batch.drop_column("resolved_by_id")
        batch.drop_column("resolved")
        batch.drop_column("parent_id")
