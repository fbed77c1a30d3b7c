"""documents

Revision ID: 0002
Revises: 0001
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import workspace.db  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = workspace.db.UTCDateTime(timezone=True)
STATEMENT_ONLY = sa.text("kind = 'problem_statement'")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("agreed_version_id", sa.Integer(), nullable=True),
        sa.Column("last_version_at", UTC, nullable=True),
        sa.Column("edited_event_at", UTC, nullable=True),
        sa.Column("pending_editors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_documents_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_documents_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_workspace_id"), "documents", ["workspace_id"])
    op.create_index("uq_documents_one_statement", "documents", ["workspace_id"], unique=True,
                    sqlite_where=STATEMENT_ONLY, postgresql_where=STATEMENT_ONLY)

    op.create_table(
        "document_snapshots",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("merged_updates", sa.BigInteger(), nullable=False),
        sa.Column("compacted_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_snapshots_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_snapshots")),
    )

    op.create_table(
        "document_updates",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_updates_document_id_documents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_document_updates_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_document_updates")),
    )
    op.create_index(op.f("ix_document_updates_document_id"), "document_updates",
                    ["document_id"])

    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_versions_document_id_documents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_document_versions_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
    )
    op.create_index(op.f("ix_document_versions_document_id"), "document_versions",
                    ["document_id"])

    op.create_table(
        "version_approvals",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["document_versions.id"],
                                name=op.f("fk_version_approvals_version_id_document_versions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_version_approvals_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "user_id", name=op.f("pk_version_approvals")),
    )

    op.create_table(
        "document_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anchor_from", sa.Integer(), nullable=True),
        sa.Column("anchor_to", sa.Integer(), nullable=True),
        sa.Column("anchor_quote", sa.Text(), nullable=True),
        sa.Column("anchor_prefix", sa.Text(), nullable=True),
        sa.Column("anchor_suffix", sa.Text(), nullable=True),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_document_comments_document_id_documents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_document_comments_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_comments")),
    )
    op.create_index(op.f("ix_document_comments_document_id"), "document_comments",
                    ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_document_comments_document_id"), table_name="document_comments")
    op.drop_table("document_comments")
    op.drop_table("version_approvals")
    op.drop_index(op.f("ix_document_versions_document_id"), table_name="document_versions")
    op.drop_table("document_versions")
    op.drop_index(op.f("ix_document_updates_document_id"), table_name="document_updates")
    op.drop_table("document_updates")
    op.drop_table("document_snapshots")
    op.drop_index("uq_documents_one_statement", table_name="documents")
    op.drop_index(op.f("ix_documents_workspace_id"), table_name="documents")
    op.drop_table("documents")
