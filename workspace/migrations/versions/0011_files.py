"""files: uploads of a workspace, optionally attached to a trial, milestone or document

Revision ID: 0011
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from workspace.db import UTCDateTime

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("trial_id", sa.Integer(), sa.ForeignKey("trials.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("milestone_id", sa.Integer(),
                  sa.ForeignKey("milestones.id", ondelete="SET NULL"), nullable=True),
        sa.Column("document_id", sa.Integer(),
                  sa.ForeignKey("documents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("thumbnail", sa.String(8), nullable=True),
    )
    op.create_index("ix_files_workspace_id", "files", ["workspace_id"])
    op.create_index("ix_files_sha256", "files", ["sha256"])
    op.create_index("ix_files_trial_id", "files", ["trial_id"])
    op.create_index("ix_files_milestone_id", "files", ["milestone_id"])
    op.create_index("ix_files_document_id", "files", ["document_id"])


def downgrade() -> None:
    op.drop_table("files")
