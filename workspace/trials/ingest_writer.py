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
of arrays per batch on PostgreSQL, one executemany on SQLite), its
aggregates are saved once and the control-chart rules run once over its
readings in order: a group raises at most one `trial.alert` per metric (a
batch alone, as before). A batch that lands inside the recorded order (a
backfill) stores what the group holds so far before its refold reads the
readings back.

Under load each round trip to PostgreSQL costs a turn of the event loop
(~2.5 ms), whatever the statement, so the group keeps them few: its first
reads go in one (db.select_together), which also reserves its batches' ids;
with the ids known, its writes (batch rows, readings, aggregates) need no
answer and go in one more (db.sent_together).

`record_measurements` stores one batch in a transaction the caller owns (the
demo's history); both go through `store_batches`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, check_rows, row_and_role
from workspace.auth.models import User
from workspace.db import db, select_together, sent_together, utcnow
from workspace.documents.group_commit import GroupCommit, Pending, Take
from workspace.errors import Conflict, NotFound, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.house import react
from workspace.trials.fold import (
    Stats,
    fold_rows,
    refold_order,
    save_stats,
    stats_by_metric,
    stats_query,
)
from workspace.trials.ingest_rows import insert_rows, sample
from workspace.trials.models import Indicator, MeasurementBatch, Trial
from workspace.trials.results import live_results
from workspace.trials.service import trial_ref

EVENT_SAMPLE = 50
MISSING = "Trial not found."
# A group's cap: its transaction holds the trial's lock, so it stays short.
MAX_GROUP = 32
MAX_GROUP_READINGS = 50_000
_BATCHES = MeasurementBatch.__table__


@dataclass(eq=False)
class Batch:
    """One request's readings, parsed and checked for shape, with its metrics
    found before any lock; `answer` and `replayed` once stored."""

    actor: User
    rows: list[dict[str, Any]]
    client_key: str | None
    metrics: list[str] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    replayed: bool = False

    @classmethod
    def of(cls, actor: User, rows: list[dict[str, Any]], client_key: str | None) -> Batch:
        return cls(actor, rows, client_key, sorted({r["metric"] for r in rows}))


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
    group = _Group(
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
    readings = 0
    while (batch := source.peek()) is not None:
        if batches and readings + len(batch.rows) > MAX_GROUP_READINGS:
            break
        source()
        batches.append(batch)
        readings += len(batch.rows)
    return batches


class _Group:
    """One transaction's accepted batches, folded in order into the trial's
    aggregates (read once) and stored together."""

    def __init__(self, session: Session, trial: Trial, keys: list[str], batches: int) -> None:
        self.session, self.trial = session, trial
        postgres = session.get_bind().dialect.name == "postgresql"
        # What every group reads first, in one round trip (select_together):
        # the indicators (the columns a result needs, not Indicator objects),
        # the running aggregates, on PostgreSQL an id for each batch (so that
        # storing them waits for no answer) and the answers stored for its
        # client keys.
        reads = [
            select(
                Indicator.id,
                Indicator.key,
                Indicator.comparator,
                Indicator.target,
                Indicator.aggregate,
            )
            .where(Indicator.workspace_id == trial.workspace_id)
            .order_by(Indicator.id),
            stats_query(trial.id),
        ]
        if postgres:
            reads.append(
                select(func.nextval(func.pg_get_serial_sequence(_BATCHES.name, "id"))).select_from(
                    func.generate_series(1, batches)
                )
            )
        if keys:
            reads.append(
                select(MeasurementBatch.client_key, MeasurementBatch.response).where(
                    MeasurementBatch.trial_id == trial.id,
                    MeasurementBatch.client_key.in_(set(keys)),
                )
            )
        indicators, stats, *more = select_together(session, *reads)
        self.indicators: list[Any] = indicators
        self.stats: dict[str, Stats] = stats_by_metric(stats)
        # Reserved batch ids, in the order batches are stored; None: SQLite,
        # where each INSERT returns them.
        self.ids: list[int] | None = sorted(i for (i,) in more.pop(0)) if postgres else None
        stored = more
        # By client_key: stored, or earlier in this group.
        self.answers: dict[str, dict[str, Any]] = dict(stored[0]) if stored else {}
        self.accepted: list[Batch] = []
        self.pending: list[Batch] = []  # accepted, not written yet
        self.now: datetime | None = None

    def add(self, batch: Batch) -> Exception | None:
        """Decide the batch's checks, then fold it and record its event; None
        if accepted (or answered as a replay), else its error, nothing of it
        written."""
        key = batch.client_key
        if key is not None and key in self.answers:
            batch.answer, batch.replayed = self.answers[key], True
            return None
        trial = self.trial
        if trial.status != "running":
            return Conflict(
                f"Trial #{trial.number} is {trial.status}; measurements are accepted only "
                "while it is running.",
                code="trial_not_running",
            )
        indicators = self.indicators
        known = {i.key for i in indicators}
        unknown = [m for m in batch.metrics if m not in known]
        if unknown:
            return ValidationFailed(
                f"Unknown metric{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"Metrics are indicator keys: {', '.join(sorted(known)) or 'none defined yet'}.",
                fields={"metric": [f"Unknown: {', '.join(unknown)}."]},
                code="unknown_metric",
            )
        # Readings sent without a time are stamped now, under the lock: a batch
        # that waited for it is then not older than the one stored before it,
        # so concurrent live batches never look like a backfill (a refold).
        now = utcnow()
        if self.now is not None and now < self.now:
            now = self.now
        self.now = now
        for r in batch.rows:
            if r["recorded_at"] is None:
                r["recorded_at"] = now
        backwards = fold_rows(self.stats, batch.rows)
        # Its answer before any later batch of the group is folded in (a
        # refold changes first values and moving ranges, which no answer shows).
        results, outcome = live_results(indicators, self.stats)
        batch.answer = {
            "trial_id": trial.id,
            "count": len(batch.rows),
            "metrics": batch.metrics,
            "client_key": key,
            "outcome": outcome,
            "results": results,
        }
        if key is not None:
            self.answers[key] = batch.answer
        self.accepted.append(batch)
        self.pending.append(batch)
        record_event(
            self.session,
            trial.workspace_id,
            ev.TRIAL_MEASUREMENTS_RECORDED,
            {
                "trial": trial_ref(trial),
                "count": len(batch.rows),
                "metrics": batch.metrics,
                "client_key": key,
                "outcome": outcome,
                "results": results,
                "latest": sample(batch.rows[-EVENT_SAMPLE:]),
            },
            batch.actor,
        )
        if backwards:  # the refold reads the readings back: store them first
            with sent_together(self.session):
                self._write()
            refold_order(self.session, trial.id, self.stats, backwards)
        return None

    def _write(self) -> None:
        """The pending batches' rows (their answers known) and readings, in
        order; nothing is read back on PostgreSQL (the ids are reserved)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        values = [
            {
                "trial_id": self.trial.id,
                "client_key": b.client_key,
                "count": len(b.rows),
                "created_by_id": b.actor.id,
                "response": b.answer,
            }
            for b in pending
        ]
        if self.ids is None:
            ids = self.session.scalars(
                insert(_BATCHES).returning(_BATCHES.c.id, sort_by_parameter_order=True), values
            ).all()
        else:
            ids, self.ids = self.ids[: len(pending)], self.ids[len(pending) :]
            self.session.execute(
                insert(_BATCHES), [v | {"id": i} for v, i in zip(values, ids, strict=True)]
            )
        insert_rows(
            self.session,
            self.trial.id,
            [(batch_id, b.rows) for batch_id, b in zip(ids, pending, strict=True)],
        )

    def finish(self, live: bool) -> None:
        """Write what is pending and save the aggregates once (one round trip
        on PostgreSQL), then run the control-chart rules over the group's
        readings, in this transaction."""
        if not self.accepted:
            return
        with sent_together(self.session):
            self._write()
            metrics = sorted({m for b in self.accepted for m in b.metrics})
            save_stats(self.session, self.trial.id, self.stats, metrics)
        if live:  # the last batch's caller completes the points an alert is about
            rows = [r for b in self.accepted for r in b.rows]
            react(
                self.session,
                ev.TRIAL_MEASUREMENTS_RECORDED,
                self.trial,
                rows,
                self.accepted[-1].actor,
            )


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
    rows: list[dict[str, Any]],
    client_key: str | None,
    live: bool = True,
) -> tuple[dict[str, Any], bool]:
    """Store a batch in the caller's transaction; returns the answer and
    whether it is a replay, or raises the error that refused it."""
    batch = Batch.of(actor, rows, client_key)
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
    actor: User, trial_id: int, rows: list[dict[str, Any]], client_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Store a batch with whatever else of the trial is queued (a request's
    path); returns once it is committed, as `record_measurements`."""
    batch = Batch.of(actor, rows, client_key)
    writers.submit(trial_id, batch)
    assert batch.answer is not None
    return batch.answer, batch.replayed
