"""Storing measurement batches: this process's group commit per trial.

One trial's batches are stored one transaction at a time (its row lock, held
to the commit), and a transaction cost a batch some ten round trips however
few readings it held: four line systems posting to one trial spent most of
their time queued on the lock. So the handlers of one trial's batches take
turns as co-editing updates do (documents/group_commit.py): the first to
arrive leads, locks the trial once, takes every batch queued by then, and
stores them in one transaction; each handler answers once that commits.

Each batch keeps its own checks, asked in order before anything of it is
written (its caller's access as `require_row` answers it now, the trial
running, its metrics known, its client_key not stored already nor taken by an
earlier batch of the group): one that is refused fails alone with the error
it would have had alone, and stores nothing. An accepted batch gets exactly
the answer and event it would have had committed alone: its readings sent
without a time are stamped as it is folded (one time per batch, never before
the batch before it), and its answer is read from the running aggregates
after its own fold. The group's readings then go in together (one INSERT
of arrays for the group on PostgreSQL, one executemany on SQLite), its
aggregates are saved once and the control-chart rules run once over its
readings in order: a group raises at most one `trial.alert` per metric (a
batch alone, as before). A batch that lands inside the recorded order (a
backfill) stores what the group holds so far before its refold reads the
readings back.

What one group does inside its transaction (the checks, the fold, the
writes) is ingest_group.py.

`record_measurements` stores one batch in a transaction the caller owns (the
demo's history); both go through `store_batches`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workspace.auth.access import Need, check_rows, row_and_role
from workspace.auth.models import User
from workspace.db import db
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.errors import NotFound
from workspace.trials.ingest_group import Batch, Group
from workspace.trials.models import Trial
from workspace.trials.readings import Readings

MISSING = "Trial not found."
# A group's cap: its transaction holds the trial's lock, so it stays short.
MAX_GROUP = 32
MAX_GROUP_READINGS = 50_000


class Source(Protocol):
    """Where `store_batches` draws batches from, as a group commit's `Take`."""

    def peek(self) -> Batch | None: ...

    def __call__(self) -> Batch | None: ...


def store_batches(
    session: Session, trial_id: int, source: Source, live: bool = True
) -> list[tuple[Batch, Exception | None]]:
    """Store what `source` hands out once the trial is locked (at least the
    batch it holds now, whose caller's role is read with the lock) in
    `session`'s transaction. Returns each batch with None (stored, or a
    replay: see its `answer`) or the error that refused it, in order.
    `live=False`: readings of the past (the demo's finished trials), which
    the control-chart rules have nothing to say about."""
    first = source.peek()
    if first is None:
        return []
    found = row_and_role(session, first.actor, Trial, trial_id, lock=True)
    batches = _take(source)
    if found is None:
        return [(batch, NotFound(MISSING)) for batch in batches]
    trial, role = found
    refusals = check_rows(
        session,
        [(batch.actor, trial) for batch in batches],
        Need.EDIT,
        MISSING,
        known={(first.actor.id, trial.workspace_id): role},
    )
    group = Group(
        session, trial, [b.client_key for b in batches if b.client_key is not None], len(batches)
    )
    outcomes: list[tuple[Batch, Exception | None]] = [
        (batch, refusal or group.add(batch))
        for batch, refusal in zip(batches, refusals, strict=True)
    ]
    group.finish(live)
    return outcomes


def _take(source: Source) -> list[Batch]:
    batches: list[Batch] = []
    held = 0
    while (batch := source.peek()) is not None:
        if batches and held + len(batch.readings) > MAX_GROUP_READINGS:
            break
        source()
        batches.append(batch)
        held += len(batch.readings)
    return batches


class _One:
    """A single batch handed out like a writer's queue."""

    def __init__(self, batch: Batch) -> None:
        self._batch: Batch | None = batch

    def peek(self) -> Batch | None:
        return self._batch

    def __call__(self) -> Batch | None:
        batch, self._batch = self._batch, None
        return batch


def record_measurements(
    session: Session,
    actor: User,
    trial_id: int,
    readings: Readings,
    client_key: str | None,
    live: bool = True,
) -> tuple[dict[str, Any], bool]:
    """Store a batch in the caller's transaction; returns the answer and
    whether it is a replay, or raises the error that refused it."""
    batch = Batch.of(actor, readings, client_key)
    [(_, error)] = store_batches(session, trial_id, _One(batch), live)
    if error is not None:
        raise error
    assert batch.answer is not None
    return batch.answer, batch.replayed


class _Taken:
    """A group commit's `Take` handing out the batches themselves."""

    def __init__(self, take: Take[Batch]) -> None:
        self._take = take

    def peek(self) -> Batch | None:
        item = self._take.peek()
        return None if item is None else item.payload

    def __call__(self) -> Batch | None:
        item = self._take()
        return None if item is None else item.payload


def _commit(trial_id: int, take: Take[Batch]) -> Callable[[], None] | None:
    """A leader's group: one transaction; each batch answered once it commits
    (a refused one with its own error even if the commit fails)."""
    outcomes: list[tuple[Batch, Exception | None]] = []
    try:
        with db.transaction() as s:
            outcomes = store_batches(s, trial_id, _Taken(take))
    except Exception:
        _refuse(take.taken, outcomes)
        raise
    _refuse(take.taken, outcomes)
    for item in take.taken:
        if not item.done:
            item.resolve()
    return None


def _refuse(taken: list[Pending[Batch]], outcomes: list[tuple[Batch, Exception | None]]) -> None:
    for item, (batch, error) in zip(taken, outcomes, strict=False):
        assert item.payload is batch
        if error is not None:
            item.fail(error)


writers: GroupCommit[Batch] = GroupCommit(_commit, max_batch=MAX_GROUP)


def queued(trial_id: int) -> int:
    """Batches of this trial waiting for this process's writer."""
    return writers.queued(trial_id)


def submit(
    actor: User, trial_id: int, readings: Readings, client_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Store a batch with whatever else of the trial is queued (a request's
    path); returns once it is committed, as `record_measurements`."""
    batch = Batch.of(actor, readings, client_key)
    writers.submit(trial_id, batch)
    assert batch.answer is not None
    return batch.answer, batch.replayed
