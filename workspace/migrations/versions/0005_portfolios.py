"""portfolios

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import workspace.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = workspace.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["users.id"],
                                name=op.f("fk_portfolios_manager_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_portfolios_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("manager_id", name=op.f("pk_portfolios")),
    )
    op.create_table(
        "portfolio_organizations",
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["portfolios.manager_id"],
                                name=op.f("fk_portfolio_organizations_manager_id_portfolios"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_portfolio_organizations_organization_id_organizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("manager_id", "organization_id",
                                name=op.f("pk_portfolio_organizations")),
    )
    op.create_index(op.f("ix_portfolio_organizations_organization_id"),
                    "portfolio_organizations", ["organization_id"])
    op.create_table(
        "portfolio_workspaces",
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["portfolios.manager_id"],
                                name=op.f("fk_portfolio_workspaces_manager_id_portfolios"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_portfolio_workspaces_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("manager_id", "workspace_id",
                                name=op.f("pk_portfolio_workspaces")),
    )
    op.create_index(op.f("ix_portfolio_workspaces_workspace_id"), "portfolio_workspaces",
                    ["workspace_id"])
    op.create_table(
        "weekly_summaries",
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["users.id"],
                                name=op.f("fk_weekly_summaries_manager_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("manager_id", "week", name=op.f("pk_weekly_summaries")),
    )
    op.create_table(
        "milestone_tranches",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestones.id"],
                                name=op.f("fk_milestone_tranches_milestone_id_milestones"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_milestone_tranches_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("milestone_id", name=op.f("pk_milestone_tranches")),
    )
    op.create_table(
        "evidence_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestones.id"],
                                name=op.f("fk_evidence_packs_milestone_id_milestones"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_evidence_packs_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_packs")),
        sa.UniqueConstraint("milestone_id", name=op.f("uq_evidence_packs_milestone_id")),
    )
    op.create_index(op.f("ix_evidence_packs_workspace_id"), "evidence_packs", ["workspace_id"])
    op.create_table(
        "export_tasks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_export_tasks_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_tasks")),
    )
    op.create_index(op.f("ix_export_tasks_user_id"), "export_tasks", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_export_tasks_user_id"), table_name="export_tasks")
    op.drop_table("export_tasks")
    op.drop_index(op.f("ix_evidence_packs_workspace_id"), table_name="evidence_packs")
    op.drop_table("evidence_packs")
    op.drop_table("milestone_tranches")
    op.drop_table("weekly_summaries")
    op.drop_index(op.f("ix_portfolio_workspaces_workspace_id"), table_name="portfolio_workspaces")
    op.drop_table("portfolio_workspaces")
    op.drop_index(op.f("ix_portfolio_organizations_organization_id"),
                  table_name="portfolio_organizations")
    op.drop_table("portfolio_organizations")
    op.drop_table("portfolios")
