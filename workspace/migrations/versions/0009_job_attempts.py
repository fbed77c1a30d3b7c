"""jobs end: attempts counted on export tasks and evidence packs, and an
export's last sign of life

Revision ID: 0009
Revises: 0007

A job counts an attempt when it claims its row, so one that keeps failing
or crashing ends `failed` after a few instead of being retried for ever.
"""
import sqlalchemy as sa
from alembic import op

import workspace.db

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("export_tasks") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("updated_at", workspace.db.UTCDateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table("evidence_packs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_index("ix_export_tasks_status", "export_tasks", ["status"])
    op.create_index("ix_evidence_packs_status", "evidence_packs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_evidence_packs_status", table_name="evidence_packs")
    op.drop_index("ix_export_tasks_status", table_name="export_tasks")
    with op.batch_alter_table("evidence_packs") as batch:
        batch.drop_column("attempts")
    with op.batch_alter_table("export_tasks") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("attempts")
