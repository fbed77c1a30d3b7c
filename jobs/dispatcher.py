"""Subscribed to the bus: committed events wake the outbox consumers.

Only a wake-up is queued (de-duplicated by job id); the consumers read the log
from their own cursor, so a wake-up lost with Redis down costs latency, never
an event: the periodic sweep runs the same job.
"""

from __future__ import annotations

from typing import Any

from jobs.queue import jobs


def on_events(envelopes: list[dict[str, Any]]) -> None:
    if envelopes:
        jobs.enqueue("jobs.outbox.process_outbox", job_id="outbox")
