"""Outbox consumers: turn committed events into work, exactly once each.

Every consumer keeps its cursor (the last event id it handled) in the database.
`process_outbox` locks the cursor row, hands the next events to the consumer,
and advances the cursor in the same transaction as the rows the consumer
writes: a crash before commit redoes the batch, a crash after it does nothing
twice. Event ids become visible in order (see events/log.py), so reading
`id > cursor` never skips one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workspace.db import Base, db
from workspace.events.log import feed_events
from workspace.events.models import Event

log = logging.getLogger(__name__)

Consumer = Callable[[Session, list[Event]], None]
CONSUMERS: dict[str, Consumer] = {}
BATCH = 200


class ConsumerCursor(Base):
    __tablename__ = "consumer_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)


def register(name: str) -> Callable[[Consumer], Consumer]:
    def decorator(func: Consumer) -> Consumer:
        CONSUMERS[name] = func
        return func

    return decorator


def process_outbox(max_batches: int = 50) -> int:
    """Run every consumer over the events it has not seen; returns events handled."""
    handled = 0
    for name in list(CONSUMERS):
        # One consumer's failure must not stall the others; its batch rolled
        # back and is retried on the next run.
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
        cursor = session.scalar(
            select(ConsumerCursor).where(ConsumerCursor.name == name).with_for_update()
        )
        if cursor is None:
            # A new consumer starts at the present rather than replaying history.
            from workspace.events.log import latest_event_id

            session.add(ConsumerCursor(name=name, last_event_id=latest_event_id(session)))
            return 0
        events = feed_events(session, None, cursor.last_event_id, BATCH)
        if not events:
            return 0
        CONSUMERS[name](session, events)
        cursor.last_event_id = events[-1].id
        return len(events)


def pending_counts(session: Session) -> dict[str, Any]:
    from workspace.events.log import latest_event_id

    latest = latest_event_id(session)
    rows = session.scalars(select(ConsumerCursor)).all()
    return {row.name: latest - row.last_event_id for row in rows}
