"""Webhook delivery jobs: `drain` sends whatever is due, and the sweep wakes
drains for what is due with nobody on it (lost enqueues, dead workers,
retries whose timer was lost)."""

from __future__ import annotations

from flask import current_app

from workspace.config import settings_of
from workspace.webhooks import delivery
from workspace.webhooks.dispatch import wake_drains
from workspace.webhooks.leases import due_count


def drain() -> str:
    return str(delivery.drain(settings_of(current_app)))


def deliver(delivery_id: int | None = None) -> str:
    """The per-delivery job of earlier versions: jobs still queued from
    before an upgrade drain instead."""
    return drain()


def sweep() -> int:
    count = due_count()
    if count:
        wake_drains(count)
    return count
