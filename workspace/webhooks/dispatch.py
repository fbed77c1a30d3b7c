"""Enqueue jobs only once the rows they read have committed.

Services and consumers call `enqueue_after_commit(session, ...)`; the jobs
are handed to the queue in the session's after_commit hook. If the queue is
unreachable nothing is lost: the rows are in the database and the periodic
sweeps enqueue whatever is due.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_KEY = "jointlab_after_commit_jobs"


def enqueue_after_commit(session: Session, path: str, *args: Any, **options: Any) -> None:
    session.info.setdefault(_KEY, []).append((path, args, options))


def deliver_after_commit(session: Session, delivery_id: int, delay: float = 0) -> None:
    enqueue_after_commit(session, "jobs.deliver_webhook.deliver", delivery_id,
                         job_id=f"delivery:{delivery_id}", queue="deliveries", delay=delay)


@sa_event.listens_for(Session, "after_commit")
def _enqueue(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if not pending:
        return
    from jobs.queue import jobs

    for path, args, options in pending:
        jobs.enqueue(path, *args, **options)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
