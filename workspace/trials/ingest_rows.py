"""A group's readings as they are written: an INSERT of arrays per batch on
PostgreSQL, one executemany for the group on SQLite."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from workspace.trials.models import Measurement
from workspace.trials.readings import Readings

# One statement per batch, its readings as arrays in the order they came
# (ids follow it): unlike COPY, it can go in one round trip with the group's
# other writes (db.sent_together). A live batch's readings share one time and
# have no source: those arrays are sent as NULL, which unnest reads as a
# column of NULLs, and the time once, as `at`.
_UNNEST = """
INSERT INTO measurements (trial_id, batch_id, metric, value, source, recorded_at)
SELECT %(trial)b, %(batch)b, u.metric, u.value, u.source, coalesce(u.recorded_at, %(at)b)
FROM unnest(%(metrics)b::text[], %(values)b::float8[], %(sources)b::text[],
            %(times)b::timestamptz[]) WITH ORDINALITY AS u(metric, value, source, recorded_at, n)
ORDER BY u.n
"""


def insert_rows(session: Session, trial_id: int, batches: list[tuple[int, Readings]]) -> None:
    """Store the readings of `batches` ((batch id, readings), in order). Nothing
    here needs them back as ORM objects, and the ORM's bulk path cost more
    than the insert itself at 10,000 rows. PostgreSQL: one INSERT of arrays
    per batch, the values dumped in binary (psycopg's C dumpers, cheaper than
    writing COPY text); SQLite: one Core executemany."""
    batches = [b for b in batches if b[1]]
    if not batches:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        for batch_id, readings in batches:
            times, sources = readings.times, readings.sources
            one_time = times.count(times[0]) == len(times)
            raw.execute(
                _UNNEST,
                {
                    "trial": trial_id,
                    "batch": batch_id,
                    "at": times[0] if one_time else None,
                    "metrics": readings.metrics,
                    "values": readings.values,  # floats all (see Readings)
                    "sources": None if sources.count(None) == len(sources) else sources,
                    "times": None if one_time else times,
                },
            )
        return
    conn.execute(
        insert(Measurement.__table__),
        [
            {
                "trial_id": trial_id,
                "batch_id": batch_id,
                "metric": metric,
                "value": value,
                "recorded_at": at,
                "source": source,
            }
            for batch_id, r in batches
            for metric, value, at, source in zip(
                r.metrics, r.values, r.times, r.sources, strict=True
            )
        ],
    )
