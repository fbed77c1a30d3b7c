"""Subscribed to the bus: committed events wake the outbox consumers.

Only a wake-up is queued (de-duplicated by job id); the consumers read the log
from their own cursor, so a wake-up lost with Redis down costs latency, never
an event: the periodic sweep runs the same job.

Each process wakes the outbox for the events it committed itself (a local-only
bus subscription): hearing the same events again through Redis, in this or
another process, used to queue the same wake-up once more per process.
"""

from __future__ import annotations

from typing import Any

from jobs.queue import jobs


def on_events(envelopes: list[dict[str, Any]]) -> None:
    if envelopes:
        jobs.wake("jobs.outbox.process_outbox", job_id="outbox")
