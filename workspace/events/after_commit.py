"""Work that must wait until a transaction has committed: the one place that
publishes and enqueues for the rows a transaction wrote.

Services call, inside their transaction:
- `enqueue(session, path, *args, job_id=..., queue=...)`: a background job;
- `wake(session, delay=0, count=1)`: webhook deliveries are due (the drain
  jobs, workspace/webhooks/dispatch.py, are woken rather than queued per row);
- `on_commit(session, key, fn)`: anything else (the event log's bus publish,
  access notices, a live edit's relay registered by the realtime side).
Nothing runs before the commit: a job never reads rows that are not there
yet, a listener is never told of a change that may still roll back.

Guarantees:
- Commit: each callback runs once, in the order first registered, after the
  outermost transaction committed. Under `db.transaction` they run once the
  session is closed and SQLite's in-process write lock released, so a
  callback may take locks a writer holds while it waits for that lock (the
  live documents' locks) and may open transactions of its own.
- Rollback: everything registered in the transaction is dropped. A savepoint
  (`begin_nested`) that rolls back drops only what was registered inside it;
  one that is released hands its work to the enclosing transaction (it runs
  at the outer commit, not at the release).
- A callback that raises is logged and the others still run: the data has
  committed, so the request that committed it must not fail. The queue being
  down is the same case (`jobs.enqueue` logs and returns): nothing a user
  wrote is lost, because the rows are committed and the periodic sweeps (and
  the outbox) enqueue whatever is still due.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from jobs.queue import jobs
from workspace.webhooks.dispatch import wake_at, wake_drains

log = logging.getLogger(__name__)

_STATE = "jointlab_after_commit"
_DUE = "jointlab_after_commit_due"
# Set by `db.transaction`: run the callbacks when it has let the session go.
DEFER = "jointlab_after_commit_deferred"
_NOTHING = object()
_TAKEN = object()

Batch = Callable[[list[Any]], None]


@dataclass
class _State:
    # (key, item or _NOTHING, runner) in registration order; a savepoint's
    # rollback cuts the list back to where it was when the savepoint began.
    entries: list[tuple[Hashable, Any, Batch]] = field(default_factory=list)
    marks: dict[SessionTransaction, int] = field(default_factory=dict)


def _state(session: Session) -> _State:
    state = session.info.get(_STATE)
    if state is None:
        state = session.info[_STATE] = _State()
    return state


def on_commit(session: Session, key: Hashable | None, fn: Callable[[], None]) -> None:
    """Run `fn()` once after `session` commits. Registering a `key` again in
    the same transaction keeps the first; None never de-duplicates."""
    collect(session, object() if key is None else key, _NOTHING, lambda _items: fn())


def collect(session: Session, key: Hashable, item: Any, run: Batch) -> None:
    """Add `item` to the batch `key`; after commit `run(items)` is called once
    with every item collected under `key` (the first `run` given wins)."""
    _state(session).entries.append((key, item, run))


def take(session: Session, key: Hashable) -> list[Any]:
    """Remove and return the items collected under `key`: for work done right
    before the commit instead of after it (the event log writes its events)."""
    state = session.info.get(_STATE)
    if state is None:
        return []
    found = []
    for i, (k, item, run) in enumerate(state.entries):
        if k == key and item is not _NOTHING and item is not _TAKEN:
            found.append(item)
            # Left in place, emptied: the savepoints' marks are positions.
            state.entries[i] = (k, _TAKEN, run)
    return found


# Jobs and wake-ups share one batch: queued in the order asked, the drains last.
_JOBS = "jobs"


def enqueue(session: Session, path: str, *args: Any, **options: Any) -> None:
    """Queue the job `path(*args)` (options as `jobs.enqueue`) after commit."""
    collect(session, _JOBS, ("job", path, args, options), _run_jobs)


def wake(session: Session, delay: float = 0, count: int = 1) -> None:
    """After commit: `count` webhook deliveries are due now, or one is due in
    `delay` seconds."""
    if delay > 0:
        collect(session, _JOBS, ("at", math.ceil(time.time() + delay)), _run_jobs)
    else:
        collect(session, _JOBS, ("now", count), _run_jobs)


def _run_jobs(items: list[tuple[Any, ...]]) -> None:
    due_now, due_at = 0, set()
    for item in items:
        if item[0] == "job":
            _, path, args, options = item
            jobs.enqueue(path, *args, **options)
        elif item[0] == "now":
            due_now += item[1]
        else:
            due_at.add(item[1])
    if due_now:
        wake_drains(due_now)
    for at in sorted(due_at):
        wake_at(at)


def run_due(session: Session) -> None:
    """Run what the session's last commit left to do (`db.transaction` calls
    this once the session is closed); a no-op after a rollback."""
    due = session.info.pop(_DUE, None)
    if not due:
        return
    batches: dict[Hashable, tuple[Batch, list[Any]]] = {}
    for key, item, run in due:
        if item is _TAKEN:
            continue
        _run, items = batches.setdefault(key, (run, []))
        if item is not _NOTHING:
            items.append(item)
    for run, items in batches.values():
        try:
            run(items)
        except Exception:
            log.exception("after-commit callback %r failed", run)


@sa_event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        state = session.info.get(_STATE)
        if state is not None:
            state.marks[transaction] = len(state.entries)


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its work now belongs to the enclosing transaction
    state = session.info.pop(_STATE, None)
    if state is None or not state.entries:
        return
    session.info.setdefault(_DUE, []).extend(state.entries)
    if not session.info.get(DEFER):
        run_due(session)


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    state = session.info.get(_STATE)
    if state is None:
        return
    if previous.nested:
        # Only what the savepoint registered; it began with no state: all of it.
        del state.entries[state.marks.pop(previous, 0) :]
    else:
        session.info.pop(_STATE, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's mark stays until the whole transaction ends: this fires
    # before after_soft_rollback, which still needs it.
    if transaction.parent is None:
        # Also when closed without a commit (close() on an open transaction):
        # nothing of it may run at a later commit of the same session.
        session.info.pop(_STATE, None)
