"""Waking the webhook drains.

Webhook deliveries are not queued one job per delivery: services call
`after_commit.wake(session, ...)` (workspace/events/after_commit.py), which
after the commit queues a few `drain` jobs here that claim whatever is due in
batches. Wake-ups are de-duplicated by job id (a fixed set of slots for "due
now", one per second for "due later"), so a burst of events or a sweep never
piles up jobs. If the queue is unreachable nothing is lost: the deliveries
are rows, and the periodic sweep wakes the drains for whatever is due.
"""

from __future__ import annotations

import math
import time

from jobs.queue import jobs

DRAIN = "jobs.deliver_webhook.drain"
# One drain job per this many due deliveries, up to MAX_PARALLEL at once: a
# single job already keeps `webhook_concurrency` requests in flight, more jobs
# let more worker processes share a burst.
PER_JOB = 100
MAX_PARALLEL = 8


def wake_drains(count: int) -> None:
    """Queue enough drain jobs for `count` due deliveries (sweeps, after commit)."""
    for slot in range(min(MAX_PARALLEL, max(1, math.ceil(count / PER_JOB)))):
        jobs.enqueue(DRAIN, job_id=f"webhooks:drain:{slot}", queue="deliveries")


def wake_at(at: int) -> None:
    """A drain at the whole second `at` (epoch), once however many ask for it."""
    jobs.enqueue(
        DRAIN,
        job_id=f"webhooks:drain:at:{at}",
        queue="deliveries",
        delay=max(0.0, at - time.time()),
    )
