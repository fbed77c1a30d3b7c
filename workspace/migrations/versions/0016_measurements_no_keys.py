"""measurements without foreign keys: PostgreSQL checked them row by row

Revision ID: 0016_measurements_no_keys
Revises: 0015_delivery_lease

A trial's readings go in with one COPY per group of batches, under the
trial's row lock, which orders its batches one group at a time. PostgreSQL
checks each foreign key of each copied row on its own (an index probe and a
share lock on the referenced row): on 1,000 readings the two keys cost about
13 ms of the ~21 ms the COPY took; the same table without them takes ~8 ms.

Their keys hold by construction: readings are written in one place
(trials/ingest_rows.py), in the transaction that inserts their batch, for
the trial it has locked. Nothing removes a trial that has readings (only a
planned trial can be deleted, and readings are accepted only while it runs)
nor a batch, so the cascades had nothing to do. Both columns stay, indexed
as before (the trial's index leads with trial_id).
"""
from alembic import op

revision = "0016_measurements_no_keys"
down_revision = "0015_delivery_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_constraint("fk_measurements_trial_id_trials", type_="foreignkey")
        batch.drop_constraint("fk_measurements_batch_id_measurement_batches", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.create_foreign_key(
            "fk_measurements_trial_id_trials", "trials", ["trial_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_measurements_batch_id_measurement_batches",
            "measurement_batches",
            ["batch_id"],
            ["id"],
            ondelete="CASCADE",
        )
