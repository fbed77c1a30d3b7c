"""The delivery job: drain whatever is due, many requests in flight at once.

One `drain` keeps up to `webhook_concurrency` deliveries in flight, one per
thread: it claims `standard` deliveries in batches (batch.py) as threads come
free, each thread signs and posts its delivery over a kept-alive connection
to the vetted address (at most `PER_HOST` at a time to one address, so a
burst does not flood one receiver), and finished answers are recorded
together, a few times a second, in one transaction. Chat-bot endpoints go
through their own per-endpoint path (bots.py) on the same threads. A slow
receiver holds one thread, not the batch: the others keep claiming and
sending.

A drain ends when nothing is due (or after `BUDGET_SECONDS`, handing over to
a fresh job so other queues get the worker too). Several drains, in one
worker or many, share the work through the database leases.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from workspace.config import Settings
from workspace.db import utcnow
from workspace.webhooks import batch, bots, transport
from workspace.webhooks.dispatch import wake_at, wake_drains
from workspace.webhooks.leases import due_count, next_due_at

BUDGET_SECONDS = 60.0
# Connections (so requests at once) one drain opens to one receiver address.
PER_HOST = 4
# Answers wait at most this long to be recorded together.
RECORD_EVERY = 0.2
# Drains look this far ahead for deliveries coming due (a retry timer that
# fired early, a rate-limit hold) and leave a wake-up for them.
LOOKAHEAD_SECONDS = 60


@dataclass
class DrainReport:
    sent: int = 0
    bot_endpoints: int = 0
    claims: int = 0
    records: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"sent {self.sent} standard, {self.bot_endpoints} bot endpoints; "
            f"{self.claims} claims, {self.records} records"
        )


def drain(settings: Settings) -> DrainReport:
    threads = settings.webhook_concurrency
    token = uuid.uuid4().hex
    report = DrainReport()
    started = time.monotonic()
    in_flight: dict[Future[Any], int | None] = {}  # future -> bot endpoint id, or None
    finished: list[batch.Sent] = []
    last_record = started
    more = True
    with (
        transport.Sender(
            timeout=settings.webhook_timeout,
            allow_private=settings.webhook_allow_private,
            connections_per_host=min(PER_HOST, threads),
            connection_wait=settings.webhook_timeout,
        ) as sender,
        ThreadPoolExecutor(threads, thread_name_prefix="webhook") as pool,
    ):
        try:
            while True:
                # Claim only for free threads, so a claimed delivery starts at
                # once: its lease need only cover waiting for a connection to
                # its host and the request (leases.lease_seconds).
                room = threads - len(in_flight)
                if (
                    more
                    and room >= max(1, threads // 2)
                    and time.monotonic() - started < BUDGET_SECONDS
                ):
                    more = _refill(pool, sender, settings, token, room, in_flight, report)
                if not in_flight:
                    break
                done, _ = wait(list(in_flight), timeout=RECORD_EVERY, return_when=FIRST_COMPLETED)
                for future in done:
                    if in_flight.pop(future) is None:
                        finished.append(future.result())
                now = time.monotonic()
                if finished and (
                    not in_flight or now - last_record >= RECORD_EVERY or len(finished) >= threads
                ):
                    batch.record(finished, token, settings)
                    report.sent += len(finished)
                    report.records += 1
                    finished, last_record = [], now
        finally:
            if finished:  # an error above must not lose answers already had
                batch.record(finished, token, settings)
    _leave_wake_ups(more)
    return report


def _refill(
    pool: ThreadPoolExecutor,
    sender: transport.Sender,
    settings: Settings,
    token: str,
    room: int,
    in_flight: dict[Future[Any], int | None],
    report: DrainReport,
) -> bool:
    """Claim up to `room` more; False when nothing more is due."""
    claimed = batch.claim(room, token, settings)
    report.claims += 1
    for item in claimed:
        in_flight[pool.submit(batch.send, sender, item)] = None
    busy = {e for e in in_flight.values() if e is not None}
    endpoint_ids = [e for e in bots.due_endpoints() if e not in busy][: room - len(claimed)]
    for endpoint_id in endpoint_ids:
        in_flight[pool.submit(bots.deliver_endpoint, endpoint_id, sender, settings)] = endpoint_id
        report.bot_endpoints += 1
    return len(claimed) == room or bool(endpoint_ids)


def _leave_wake_ups(ran_out_of_time: bool) -> None:
    """Nothing due may be left without a job to send it."""
    if ran_out_of_time:
        count = due_count()
        if count:
            wake_drains(count)
    upcoming = next_due_at()
    if upcoming is not None:
        wait_s = (upcoming - utcnow()).total_seconds()
        if wait_s <= LOOKAHEAD_SECONDS:
            wake_at(int(time.time() + wait_s) + 1)
