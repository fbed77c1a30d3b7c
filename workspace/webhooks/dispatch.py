"""Enqueue jobs only once the rows they read have committed.

Services and consumers call `enqueue_after_commit(session, ...)`; the jobs
are handed to the queue in the session's after_commit hook. If the queue is
unreachable nothing is lost: the rows are in the database and the periodic
sweeps enqueue whatever is due.

Webhook deliveries are not queued one job per delivery: `wake_after_commit`
queues a few `drain` jobs that claim whatever is due in batches. Wake-ups are
de-duplicated by job id (a fixed set of slots for "due now", one per second
for "due later"), so a burst of events or a sweep never piles up jobs.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_KEY = "jointlab_after_commit_jobs"
_WAKE = "jointlab_after_commit_wake"
DRAIN = "jobs.deliver_webhook.drain"
# One drain job per this many due deliveries, up to MAX_PARALLEL at once: a
# single job already keeps `webhook_concurrency` requests in flight, more jobs
# let more worker processes share a burst.
PER_JOB = 100
MAX_PARALLEL = 8


def enqueue_after_commit(session: Session, path: str, *args: Any, **options: Any) -> None:
    session.info.setdefault(_KEY, []).append((path, args, options))


def wake_after_commit(session: Session, delay: float = 0, count: int = 1) -> None:
    """`count` deliveries are due now, or one is due in `delay` seconds."""
    wake = session.info.setdefault(_WAKE, {"now": 0, "at": set()})
    if delay > 0:
        wake["at"].add(math.ceil(time.time() + delay))
    else:
        wake["now"] += count


def wake_drains(count: int) -> None:
    """Queue enough drain jobs for `count` due deliveries (sweeps, after commit)."""
    from jobs.queue import jobs

    for slot in range(min(MAX_PARALLEL, max(1, math.ceil(count / PER_JOB)))):
        jobs.enqueue(DRAIN, job_id=f"webhooks:drain:{slot}", queue="deliveries")


def wake_at(at: int) -> None:
    """A drain at the whole second `at` (epoch), once however many ask for it."""
    from jobs.queue import jobs

    jobs.enqueue(DRAIN, job_id=f"webhooks:drain:at:{at}", queue="deliveries",
                 delay=max(0.0, at - time.time()))


@sa_event.listens_for(Session, "after_commit")
def _enqueue(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    wake = session.info.pop(_WAKE, None)
    if not pending and not wake:
        return
    from jobs.queue import jobs

    for path, args, options in pending or ():
        jobs.enqueue(path, *args, **options)
    if wake:
        if wake["now"]:
            wake_drains(wake["now"])
        for at in sorted(wake["at"]):
            wake_at(at)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_WAKE, None)
