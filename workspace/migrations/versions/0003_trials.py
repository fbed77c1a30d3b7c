"""trials

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import workspace.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = workspace.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("aggregate", sa.String(length=8), nullable=False),
        sa.Column("lower_spec", sa.Float(), nullable=True),
        sa.Column("upper_spec", sa.Float(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_indicators_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("workspace_id", "key", name="uq_indicators_workspace_key"),
    )
    op.create_index(op.f("ix_indicators_workspace_id"), "indicators", ["workspace_id"])

    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("line", sa.String(length=200), nullable=False),
        sa.Column("batch", sa.String(length=200), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_trials_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["trials.id"],
                                name=op.f("fk_trials_parent_id_trials"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_trials_created_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trials")),
        sa.UniqueConstraint("workspace_id", "number", name="uq_trials_workspace_number"),
    )
    op.create_index(op.f("ix_trials_workspace_id"), "trials", ["workspace_id"])

    op.create_table(
        "measurement_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=200), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"],
                                name=op.f("fk_measurement_batches_trial_id_trials"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_measurement_batches_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement_batches")),
        sa.UniqueConstraint("trial_id", "client_key", name="uq_measurement_batches_trial_key"),
    )
    op.create_index(op.f("ix_measurement_batches_trial_id"), "measurement_batches",
                    ["trial_id"])

    op.create_table(
        "measurements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"],
                                name=op.f("fk_measurements_trial_id_trials"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["measurement_batches.id"],
                                name=op.f("fk_measurements_batch_id_measurement_batches"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    op.create_index("ix_measurements_trial_metric", "measurements",
                    ["trial_id", "metric", "recorded_at"])

    op.create_table(
        "trial_metric_stats",
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
        sa.Column("last_recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"],
                                name=op.f("fk_trial_metric_stats_trial_id_trials"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trial_id", "metric", name=op.f("pk_trial_metric_stats")),
    )

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=True),
        sa.Column("reached_at", UTC, nullable=True),
        sa.Column("reached_by_trial_id", sa.Integer(), nullable=True),
        sa.Column("due_soon_emitted_at", UTC, nullable=True),
        sa.Column("overdue_emitted_at", UTC, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_milestones_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reached_by_trial_id"], ["trials.id"],
                                name=op.f("fk_milestones_reached_by_trial_id_trials"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_milestones_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_workspace_id"), "milestones", ["workspace_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_milestones_workspace_id"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_table("trial_metric_stats")
    op.drop_index("ix_measurements_trial_metric", table_name="measurements")
    op.drop_table("measurements")
    op.drop_index(op.f("ix_measurement_batches_trial_id"), table_name="measurement_batches")
    op.drop_table("measurement_batches")
    op.drop_index(op.f("ix_trials_workspace_id"), table_name="trials")
    op.drop_table("trials")
    op.drop_index(op.f("ix_indicators_workspace_id"), table_name="indicators")
    op.drop_table("indicators")
