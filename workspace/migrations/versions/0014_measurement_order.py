"""measurement order: control-chart limits from running aggregates, readings indexed in order

Revision ID: 0014_measurement_order
Revises: 0013_suggestions

A batch's cost must not grow with the readings its trial already holds.
The control-chart limits of a baseline (its mean and average moving range in
recorded order) come from each trial and metric's running aggregates, which
now also keep the first value in recorded order and the sum of the moving
ranges; existing rows are filled in from their readings. The readings'
index gains `id`, the tie-break of recorded order, so "the last N points"
is a bounded index scan on PostgreSQL too (SQLite's indexes end in the rowid).
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_measurement_order"
down_revision = "0013_suggestions"
branch_labels = None
depends_on = None

# Per trial and metric, over its readings in recorded order: the first value
# and the sum of |value - previous value|.
FILL = """
UPDATE trial_metric_stats SET
  first_value = (SELECT m.value FROM measurements m
                 WHERE m.trial_id = trial_metric_stats.trial_id
                   AND m.metric = trial_metric_stats.metric
                 ORDER BY m.recorded_at, m.id LIMIT 1),
  moving_range_total = COALESCE((
    SELECT SUM(ABS(x.value - x.previous)) FROM (
      SELECT m.value, LAG(m.value) OVER (ORDER BY m.recorded_at, m.id) AS previous
      FROM measurements m
      WHERE m.trial_id = trial_metric_stats.trial_id
        AND m.metric = trial_metric_stats.metric) x
    WHERE x.previous IS NOT NULL), 0)
"""


def upgrade() -> None:
    with op.batch_alter_table("trial_metric_stats") as batch:
        batch.add_column(sa.Column("first_value", sa.Float(), nullable=True))
        batch.add_column(sa.Column("moving_range_total", sa.Float(), nullable=False,
                                   server_default="0"))
    op.execute(FILL)
    op.execute("UPDATE trial_metric_stats SET first_value = last_value "
               "WHERE first_value IS NULL")
    with op.batch_alter_table("trial_metric_stats") as batch:
        batch.alter_column("first_value", existing_type=sa.Float(), nullable=False)
    op.drop_index("ix_measurements_trial_metric", table_name="measurements")
    op.create_index("ix_measurements_trial_metric", "measurements",
                    ["trial_id", "metric", "recorded_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_measurements_trial_metric", table_name="measurements")
    op.create_index("ix_measurements_trial_metric", "measurements",
                    ["trial_id", "metric", "recorded_at"])
    with op.batch_alter_table("trial_metric_stats") as batch:
        batch.drop_column("moving_range_total")
        batch.drop_column("first_value")
