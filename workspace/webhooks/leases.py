"""Webhook deliveries on the delivery engine's lease (workspace/delivery):
what is due, how long a claim keeps other workers away, and when the next
one comes due.

A worker that dies only delays its deliveries until the lease runs out, then
a drain claims them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.delivery.lease import EARLY, Lease
from workspace.delivery.policy import RetryPolicy
from workspace.webhooks.models import Delivery, WebhookEndpoint

# Attempts are counted per round when settled: a redelivery starts a round.
LEASE = Lease(
    Delivery.__table__,
    counter="attempts_in_round",
    count_on_claim=False,
    done_status="succeeded",
    done_at="completed_at",
    stamp_failed=True,
)


def lease_seconds(settings: Settings) -> float:
    # A claimed delivery starts at once on a free thread, may wait up to one
    # timeout for a connection to its host (delivery.PER_HOST), then takes its
    # own timeout; the rest is room for recording the result.
    return 2 * settings.webhook_timeout + 10


def policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(settings.webhook_retry_schedule)


def due(now: datetime) -> Any:
    return LEASE.due(now)


def due_count(limit: int = 100_000) -> int:
    """Deliveries waiting for a worker (endpoints that are on)."""
    now = utcnow()
    with db.reading() as s:
        ids = (
            select(Delivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .where(due(now), WebhookEndpoint.active.is_(True))
            .limit(limit)
            .subquery()
        )
        return s.scalar(select(func.count()).select_from(ids)) or 0


def next_due_at() -> datetime | None:
    """When the next pending delivery that is not due yet comes due: its
    retry time, or the end of a lease held on it. A worker killed mid-drain
    (SIGKILL, OOM) leaves its claims leased; without this the first drain
    to run after the lease ran out was the periodic sweep's, and a killed
    scheduler leader holds the sweep back too (measured in
    tests/faults/test_worker_kill.py: deliveries resumed 30 s after the kill
    with a 14 s lease)."""
    now = utcnow()
    with db.reading() as s:
        retry = s.scalar(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status == "pending", Delivery.next_attempt_at > now + EARLY
            )
        )
        lease = s.scalar(
            select(func.min(Delivery.leased_until)).where(
                Delivery.status == "pending", Delivery.leased_until > now
            )
        )
    return min((t for t in (retry, lease) if t is not None), default=None)
