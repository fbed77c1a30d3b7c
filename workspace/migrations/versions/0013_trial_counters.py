"""trial counters: a deleted planned trial's number is never given again

Revision ID: 0013_trial_counters
Revises: 0012_comment_threads

Trials are numbered 1, 2, 3… per workspace. Once a planned trial can be
deleted, "the highest number present plus one" would hand its number to the
next trial, while events and webhooks already named the deleted one. Each
workspace keeps the highest number it gave; existing workspaces start from
their highest trial.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_trial_counters"
down_revision = "0012_comment_threads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trial_counters",
        sa.Column("workspace_id", sa.Integer(),
                  sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO trial_counters (workspace_id, last_number) "
               "SELECT workspace_id, MAX(number) FROM trials GROUP BY workspace_id")


def downgrade() -> None:
    op.drop_table("trial_counters")
