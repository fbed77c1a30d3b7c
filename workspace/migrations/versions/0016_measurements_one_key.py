"""measurements, one foreign key: a reading's trial is its batch's

Revision ID: 0016_measurements_one_key
Revises: 0015_delivery_lease

Every reading is stored with its batch, in the batch's transaction, under the
trial's row lock; the batch row references the trial. PostgreSQL checks each
foreign key of a COPY row by row: on a batch of 1,000 readings each key cost
about 7 ms of the ~21 ms the COPY took (a bare table: ~8 ms), all of it
under the trial's lock, which orders a trial's batches one at a time. The
readings keep the key to their batch (ON DELETE CASCADE: a deleted batch or
trial takes its readings with it) and `trial_id`, indexed, as a copy of the
batch's trial for the queries by trial; its own foreign key goes.
"""
from alembic import op

revision = "0016_measurements_one_key"
down_revision = "0015_delivery_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_constraint("fk_measurements_trial_id_trials", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.create_foreign_key(
            "fk_measurements_trial_id_trials", "trials", ["trial_id"], ["id"], ondelete="CASCADE"
        )
