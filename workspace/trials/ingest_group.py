"""One transaction's group of measurement batches for one trial (see
ingest_writer.py for how a group is formed and committed): each batch checked
in order, folded into the trial's running aggregates, answered, and the
group's rows, readings and aggregates written.

Under load each round trip to PostgreSQL costs a turn of the event loop
(~2.5 ms), whatever the statement, so a group keeps them few: its first
reads go in one (db.select_together), which also reserves its batches' ids;
with the ids known, its writes (batch rows, readings, aggregates) need no
answer and go in one more (db.sent_together).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.db import Read, select_together, sent_together, utcnow
from workspace.errors import Conflict, ValidationFailed
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
from workspace.trials.ingest_rows import insert_rows
from workspace.trials.models import Indicator, MeasurementBatch, Trial
from workspace.trials.readings import Readings
from workspace.trials.results import live_results
from workspace.trials.service import trial_ref

EVENT_SAMPLE = 50
_BATCHES = MeasurementBatch.__table__

# A group's first reads, built once (select_together compiles them once): the
# indicators (the columns a result needs, not Indicator objects), the running
# aggregates and, on PostgreSQL, an id for each batch.
_INDICATORS = (
    select(Indicator.id, Indicator.key, Indicator.comparator, Indicator.target, Indicator.aggregate)
    .where(Indicator.workspace_id == bindparam("workspace_id"))
    .order_by(Indicator.id)
)
_STATS = stats_query(bindparam("trial_id"))
_RESERVE_IDS = select(func.nextval(func.pg_get_serial_sequence(_BATCHES.name, "id"))).select_from(
    func.generate_series(1, bindparam("batches"))
)


@dataclass(eq=False)
class Batch:
    """One request's readings, parsed and checked for shape, with its metrics
    found before any lock; `answer` and `replayed` once stored."""

    actor: User
    readings: Readings
    client_key: str | None
    metrics: list[str] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    replayed: bool = False

    @classmethod
    def of(cls, actor: User, readings: Readings, client_key: str | None) -> Batch:
        return cls(actor, readings, client_key, sorted(readings.counts()))


class Group:
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
        reads: list[Read] = [
            (_INDICATORS, {"workspace_id": trial.workspace_id}),
            (_STATS, {"trial_id": trial.id}),
        ]
        if postgres:
            reads.append((_RESERVE_IDS, {"batches": batches}))
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
        # By client_key: stored, or earlier in this group.
        self.answers: dict[str, dict[str, Any]] = dict(more[0]) if more else {}
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
        readings = batch.readings
        readings.stamp(now)
        backwards = fold_rows(self.stats, readings)
        # Its answer before any later batch of the group is folded in (a
        # refold changes first values and moving ranges, which no answer shows).
        results, outcome = live_results(indicators, self.stats)
        batch.answer = {
            "trial_id": trial.id,
            "count": len(readings),
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
                "count": len(readings),
                "metrics": batch.metrics,
                "client_key": key,
                "outcome": outcome,
                "results": results,
                "latest": readings.latest(EVENT_SAMPLE),
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
                "count": len(b.readings),
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
            [(batch_id, b.readings) for batch_id, b in zip(ids, pending, strict=True)],
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
            counts: Counter[str] = Counter()
            for b in self.accepted:
                counts.update(b.readings.counts())
            react(
                self.session,
                ev.TRIAL_MEASUREMENTS_RECORDED,
                self.trial,
                counts,
                self.accepted[-1].actor,
            )
