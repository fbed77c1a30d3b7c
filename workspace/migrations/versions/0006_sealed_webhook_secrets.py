"""webhook secrets encrypted at rest: room for the sealed text

Revision ID: 0006
Revises: 0005

The values are sealed at start-up (workspace.webhooks.secret_box.seal_legacy),
where SECRET_KEY is known.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        for column in ("secret", "previous_secret"):
            batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(200),
                               existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        for column in ("secret", "previous_secret"):
            batch.alter_column(column, type_=sa.String(200), existing_type=sa.Text(),
                               existing_nullable=True)
