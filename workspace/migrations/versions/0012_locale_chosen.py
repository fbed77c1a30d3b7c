"""users choose their language, or follow the browser's

Revision ID: 0012
Revises: 0009

`locale_chosen` is false until a person (or an admin creating the account)
picks a language; meanwhile pages follow each browser's language.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale_chosen", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale_chosen")
