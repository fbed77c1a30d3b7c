"""Webhook delivery jobs: one delivery by id, and the sweep that re-queues
whatever is due (lost enqueues, dead workers, retries whose timer was lost)."""

from __future__ import annotations

from flask import current_app

from jobs.queue import jobs
from workspace.app import settings_of
from workspace.webhooks import delivery


def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id, settings_of(current_app))


def sweep() -> int:
    ids = delivery.due_delivery_ids()
    for delivery_id in ids:
        jobs.enqueue("jobs.deliver_webhook.deliver", delivery_id,
                     job_id=f"delivery:{delivery_id}", queue="deliveries")
    return len(ids)
