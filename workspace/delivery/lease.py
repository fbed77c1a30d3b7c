"""One claim and lease for every channel's rows.

A row is free when it is `pending` and nobody holds an unexpired lease on
it, due when it is free and its time has come. Claiming sets `leased_until`
and `lease_token` on many rows in one statement, and only on rows still free,
so two workers never hold one row; a worker that dies only delays its rows
until the lease runs out, then they are claimed again. Outcomes are written
only by the lease holder and only while the row is pending (`settle`): a
lease that ran out and was taken over is not overwritten by its old holder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, func, or_, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from workspace.db import db
from workspace.delivery.policy import Decision

# A job may run a moment before its timer says; treat that as due.
EARLY = timedelta(seconds=0.5)


@dataclass(frozen=True)
class Settled:
    """One row's decision, with what the channel stores beside it."""

    row_id: int
    decision: Decision
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class Lease:
    """The lease columns of one channel's table (`status`, `next_attempt_at`,
    `leased_until`, `lease_token`) and where its counts and outcomes go."""

    table: Table
    # Attempts made: counted when claimed (a row that kills its worker each
    # time still ends) or when an outcome is settled.
    counter: str
    count_on_claim: bool
    done_status: str
    done_at: str
    # Failed rows get `done_at` too (webhooks: when the round ended).
    stamp_failed: bool
    error_column: str | None = None

    def _c(self, name: str) -> Any:
        return self.table.c[name]

    def free(self, now: datetime) -> Any:
        leased = self._c("leased_until")
        return and_(self._c("status") == "pending", or_(leased.is_(None), leased < now))

    def due(self, now: datetime) -> Any:
        return and_(self.free(now), self._c("next_attempt_at") <= now + EARLY)

    def mine(self, token: str) -> Any:
        return and_(self._c("lease_token") == token, self._c("status") == "pending")

    def claim(
        self,
        s: Session,
        ids: Sequence[int],
        token: str,
        seconds: float,
        now: datetime,
        *returning: Any,
        when_due: bool = True,
    ) -> list[Row[Any]]:
        """Lease those of `ids` still free (and due, unless a job was asked to
        send this very row now) in one statement; their rows, as `returning`
        names them."""
        if not ids:
            return []
        values: dict[str, Any] = {
            "leased_until": now + timedelta(seconds=seconds),
            "lease_token": token,
        }
        if self.count_on_claim:
            values[self.counter] = self._c(self.counter) + 1
        condition = self.due(now) if when_due else self.free(now)
        return list(
            s.execute(
                update(self.table)
                .where(self._c("id").in_(list(ids)), condition)
                .values(values)
                .returning(self._c("id"), *returning)
            ).all()
        )

    def settle(self, s: Session, token: str, rows: Sequence[Settled], now: datetime) -> None:
        """Every row's outcome in one statement, where the lease is still ours."""
        if not rows:
            return
        when = self._c("next_attempt_at")
        values: dict[str, Any] = {
            "status": bindparam("b_status"),
            "next_attempt_at": func.coalesce(bindparam("b_next", type_=when.type), when),
            self.done_at: bindparam("b_done_at", type_=self._c(self.done_at).type),
            "leased_until": None,
            "lease_token": None,
        }
        if not self.count_on_claim:
            values[self.counter] = bindparam("b_attempts")
        if self.error_column:
            values[self.error_column] = bindparam("b_error")
        s.execute(
            update(self.table)
            .where(self._c("id") == bindparam("b_id"), self.mine(token))
            .values(values),
            [self._params(r, now) for r in rows],
        )

    def _params(self, row: Settled, now: datetime) -> dict[str, Any]:
        state = row.decision.state
        status = {"done": self.done_status, "retry": "pending", "failed": "failed"}[state]
        stamped = state == "done" or (state == "failed" and self.stamp_failed)
        params: dict[str, Any] = {
            "b_id": row.row_id,
            "b_status": status,
            "b_next": row.decision.retry_at,
            "b_done_at": now if stamped else None,
        }
        if not self.count_on_claim:
            params["b_attempts"] = row.attempts
        if self.error_column:
            params["b_error"] = None if state == "done" else (row.error or "")[:500]
        return params


def skip_locked(pick: Select[Any], of: Any) -> Select[Any]:
    """On PostgreSQL concurrent claims take disjoint rows instead of queueing
    behind each other; SQLite has one writer anyway. Pick the ids first, then
    `claim` them: PostgreSQL may run an `UPDATE … WHERE id IN (SELECT … LIMIT
    n SKIP LOCKED)` subquery again for each row it updates, and lease far more
    than n rows."""
    return pick if db.is_sqlite else pick.with_for_update(of=of, skip_locked=True)
