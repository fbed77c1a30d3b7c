"""Wires notifications and webhooks into the app at start: the outbox
consumer, the periodic jobs, the health report, the pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs import schedule
from workspace import health
from workspace.notifications import fanout  # noqa: F401  (registers the consumer)
from workspace.notifications import pages as _notification_pages  # noqa: F401
from workspace.notifications.models import OutgoingMail
from workspace.webhooks import pages as _webhook_pages  # noqa: F401
from workspace.webhooks.models import Delivery, WebhookEndpoint

schedule.add("jobs.deliver_webhook.sweep", 10)
schedule.add("jobs.send_email.sweep", 30)
schedule.add("jobs.digest.run", 300, now_path="jobs.digest.run_now")


def notifications_health(s: Session) -> dict[str, Any]:
    failing = s.scalar(select(func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(True), WebhookEndpoint.failing_since.is_not(None))) or 0
    disabled = s.scalar(select(func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(False))) or 0
    pending = s.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.status == "pending")) or 0
    oldest = s.scalar(select(func.min(Delivery.created_at)).where(Delivery.status == "pending"))
    mails = s.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.status == "pending")) or 0
    # Ended for good (their `error` says why); a number that grows wants a look.
    failed_mails = s.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.status == "failed")) or 0
    failed_deliveries = s.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.status == "failed")) or 0
    from workspace.db import utcnow

    return {
        "webhooks": {
            "failing_endpoints": failing, "disabled_endpoints": disabled,
            "pending_deliveries": pending, "failed_deliveries": failed_deliveries,
            "oldest_pending_seconds": int((utcnow() - oldest).total_seconds()) if oldest else 0,
        },
        "mail": {"pending": mails, "failed": failed_mails},
    }


if notifications_health not in health.HEALTH_SECTIONS:
    health.HEALTH_SECTIONS.append(notifications_health)
