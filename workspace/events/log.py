"""Appending to and reading the event log.

Services call `record_event` while they change rows; nothing is written yet.
Right before the transaction commits, `_write_pending` takes one lock, numbers
the events and inserts them, so the events commit atomically with the change.
They are held like after-commit work (events/after_commit.py): a savepoint
that rolls back takes its events with it; once committed they go on the bus.

Why a lock: on PostgreSQL, sequence values are handed out at insert time but
transactions commit in any order, so a reader could see id 11 before id 10
commits and then skip 10 for ever. Holding `pg_advisory_xact_lock` from the
insert of the events to the commit makes ids (and per-workspace seqs) become
visible strictly in order. The lock is taken at the very end of the
transaction, so it is held for one insert and one commit. SQLite transactions
already begin with the write lock (BEGIN IMMEDIATE, see db.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, any_, bindparam, func, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from workspace.db import select_together, utcnow
from workspace.events import after_commit
from workspace.events.bus import bus
from workspace.events.models import Event
from workspace.events.types import ALL_TYPES

EVENT_LOG_LOCK = 72_620_001
_PENDING = "event-log:pending"


@dataclass(frozen=True)
class Actor:
    id: int
    name: str


def record_event(
    session: Session,
    workspace_id: int,
    type: str,
    data: dict[str, Any],
    actor: Actor | Any | None = None,
) -> None:
    """Queue an event to be written in the commit of `session`."""
    if type not in ALL_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    actor_ref = None if actor is None else Actor(actor.id, actor.name)
    after_commit.collect(session, _PENDING, (workspace_id, type, data, actor_ref), _unwritten)


def apply_changes(row: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set each attribute of `row` that `changes` gives a new value; what
    changed as an *.updated event carries it, `{field: {"from", "to"}}`
    (dates as ISO text, for the JSON payload)."""
    changed: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        old = getattr(row, key)
        if old != value:
            changed[key] = {"from": _plain(old), "to": _plain(value)}
            setattr(row, key, value)
    return changed


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _unwritten(events: list[Any]) -> None:
    # Unreachable while every commit passes `_write_pending` first.
    raise RuntimeError(f"{len(events)} events reached after-commit unwritten")


def _last_seqs(workspace_matches: Any) -> Select:
    return (
        select(Event.workspace_id, func.max(Event.seq))
        .where(workspace_matches)
        .group_by(Event.workspace_id)
    )


# The reads before writing events, built once (select_together compiles them
# once): on PostgreSQL the lock, then the last seqs as one array parameter.
_LOCK = select(func.pg_advisory_xact_lock(EVENT_LOG_LOCK))
_LAST_SEQS = _last_seqs(Event.workspace_id == any_(bindparam("workspaces", type_=ARRAY(Integer))))
_LAST_SEQS_SQLITE = _last_seqs(Event.workspace_id.in_(bindparam("workspaces", expanding=True)))


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its events are written with the outer commit
    pending = after_commit.take(session, _PENDING)
    if not pending:
        return
    session.flush()
    workspaces = {workspace_id for workspace_id, *_ in pending}
    wanted = {"workspaces": list(workspaces)}
    if session.get_bind().dialect.name == "postgresql":
        # The lock, then the last seqs read under it, in one round trip.
        _, last_seqs = select_together(session, (_LOCK, {}), (_LAST_SEQS, wanted))
    else:
        [last_seqs] = select_together(session, (_LAST_SEQS_SQLITE, wanted))
    next_seq = dict.fromkeys(workspaces, 1) | {w: last + 1 for w, last in last_seqs}
    rows = []
    for workspace_id, type_, data, actor in pending:
        row = Event(
            workspace_id=workspace_id,
            seq=next_seq[workspace_id],
            type=type_,
            data=data,
            actor_id=None if actor is None else actor.id,
            actor_name=None if actor is None else actor.name,
            occurred_at=utcnow(),
        )
        next_seq[workspace_id] += 1
        session.add(row)
        rows.append(row)
    session.flush()
    envelopes = [row.envelope() for row in rows]
    after_commit.on_commit(session, None, lambda: _publish(envelopes))


def _publish(envelopes: list[dict[str, Any]]) -> None:
    bus.publish(envelopes)


def workspace_events(
    session: Session, workspace_id: int, after_seq: int, limit: int
) -> list[Event]:
    stmt = (
        select(Event)
        .where(Event.workspace_id == workspace_id, Event.seq > after_seq)
        .order_by(Event.seq)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def latest_workspace_events(session: Session, workspace_id: int, limit: int) -> list[Event]:
    """A workspace's newest `limit` events, oldest first (the activity panels)."""
    stmt = (
        select(Event)
        .where(Event.workspace_id == workspace_id)
        .order_by(Event.seq.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(stmt).all()))


def feed_events(
    session: Session,
    workspaces: Collection[int] | Select | None,
    after_id: int,
    limit: int,
    type_patterns: list[str] | None = None,
) -> list[Event]:
    """Events after a global cursor, across the given workspaces: ids, a
    SELECT of ids, or None (every workspace)."""
    stmt = select(Event).where(Event.id > after_id).order_by(Event.id).limit(limit)
    if workspaces is not None:
        if not isinstance(workspaces, Select) and not workspaces:
            return []
        stmt = stmt.where(Event.workspace_id.in_(workspaces))
    if type_patterns:
        stmt = stmt.where(_type_filter(type_patterns))
    return list(session.scalars(stmt))


def _type_filter(patterns: list[str]) -> Any:
    clauses = []
    for pattern in patterns:
        if pattern == "*":
            return Event.type.is_not(None)
        if pattern.endswith(".*"):
            clauses.append(Event.type.startswith(pattern[:-1]))
        else:
            clauses.append(Event.type == pattern)
    return or_(*clauses)


def latest_event_id(session: Session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0
