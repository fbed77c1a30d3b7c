"""Outbox consumers: turn committed events into work, exactly once each.

Every consumer keeps its cursor (the last event id it handled) in the database.
`process_outbox` locks the cursor row, hands the next events to the consumer,
and advances the cursor in the same transaction as the rows the consumer
writes: a crash before commit redoes the batch, a crash after it does nothing
twice. Event ids become visible in order (see events/log.py), so reading
`id > cursor` never skips one.

Committed events wake the consumers (`wake_on_events`, subscribed to the bus
by jobs/queue.py). Only a wake-up is queued (de-duplicated by job id); the
consumers read the log from their own cursor, so a wake-up lost with Redis
down costs latency, never an event: the periodic sweep runs the same job.
Each process wakes the outbox for the events it committed itself (a
local-only bus subscription): hearing the same events again through Redis, in
this or another process, used to queue the same wake-up once more per process.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jobs.queue import jobs
from workspace.db import Base, db
from workspace.events.log import feed_events, latest_event_id
from workspace.house import Consumer, current

log = logging.getLogger(__name__)

BATCH = 200


class ConsumerCursor(Base):
    __tablename__ = "consumer_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)


def consumers() -> dict[str, Consumer]:
    """The consumers the capabilities declared (`house.consumer`), in order."""
    return current().consumers


def wake_on_events(envelopes: list[dict[str, Any]]) -> None:
    """Queue a run of `process_outbox` for events this process committed."""
    if envelopes:
        jobs.wake("jobs.outbox.process_outbox", job_id="outbox")


def process_outbox(max_batches: int = 50) -> int:
    """Run every consumer over the events it has not seen; returns events handled."""
    handled = 0
    for _ in range(max_batches):
        try:
            count, more = _consume_together()
        except Exception:
            # Some consumer failed and the shared batch rolled back: run each
            # alone, so one consumer's failure does not stall the others.
            return handled + _consume_each(max_batches)
        handled += count
        if not more:
            break
    return handled


def _consume_together() -> tuple[int, bool]:
    """One transaction for every consumer (one read of the log, one commit):
    the outbox runs after almost every commit, and on SQLite each transaction
    queues for the single write lock. Returns (events handled, more to do)."""
    chosen = consumers()
    with db.transaction() as session:
        cursors = _cursors(session, list(chosen))
        start = min((c.last_event_id for c in cursors.values()), default=None)
        if start is None:
            return 0, False
        events = feed_events(session, None, start, BATCH)
        handled = 0
        for name, cursor in cursors.items():
            mine = [e for e in events if e.id > cursor.last_event_id]
            if mine:
                chosen[name](session, mine)
                cursor.last_event_id = mine[-1].id
                handled += len(mine)
        return handled, len(events) == BATCH


def _cursors(session: Session, names: list[str]) -> dict[str, ConsumerCursor]:
    """The consumers' cursor rows, locked; a new consumer starts at the present
    rather than replaying history (it is not in the answer this time)."""
    rows = {
        c.name: c
        for c in session.scalars(
            select(ConsumerCursor).where(ConsumerCursor.name.in_(names)).with_for_update()
        )
    }
    missing = [n for n in names if n not in rows]
    if missing:
        latest = latest_event_id(session)
        session.add_all(ConsumerCursor(name=n, last_event_id=latest) for n in missing)
    return rows


def _consume_each(max_batches: int) -> int:
    handled = 0
    for name in list(consumers()):
        try:
            for _ in range(max_batches):
                count = _consume_batch(name)
                handled += count
                if count < BATCH:
                    break
        except Exception:
            log.exception("outbox consumer %s failed; retrying on the next run", name)
    return handled


def _consume_batch(name: str) -> int:
    with db.transaction() as session:
        cursor = _cursors(session, [name]).get(name)
        if cursor is None:
            return 0
        events = feed_events(session, None, cursor.last_event_id, BATCH)
        if not events:
            return 0
        consumers()[name](session, events)
        cursor.last_event_id = events[-1].id
        return len(events)


def pending_counts(session: Session) -> dict[str, Any]:
    latest = latest_event_id(session)
    rows = session.scalars(select(ConsumerCursor)).all()
    return {row.name: latest - row.last_event_id for row in rows}
