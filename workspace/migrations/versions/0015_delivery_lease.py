"""delivery lease: mails are claimed like webhook deliveries, with a lease token

Revision ID: 0015_delivery_lease
Revises: 0014_measurement_order

Mail, webhook and chat-bot deliveries now go through one engine
(workspace/delivery): one claim, one lease, one retry policy. The lease
writes an outcome only where its token is still on the row, so a mail
worker whose lease ran out and was taken over cannot overwrite the new
holder's outcome; `outgoing_mails` gains the `lease_token` webhook
deliveries already have. Existing rows keep their data: a token is only set
while a row is claimed, and rows leased during the upgrade (no token yet)
are claimed again once their lease runs out.

The attempt records stay in their tables (webhooks: one
`webhook_delivery_attempts` row per try, shown by the deliveries API; mails:
`attempts` and the last `error` on the row): the code that writes them is
one path (lease.settle), the stored shapes are what their readers expect.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_delivery_lease"
down_revision = "0014_measurement_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outgoing_mails") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outgoing_mails") as batch:
        batch.drop_column("lease_token")
