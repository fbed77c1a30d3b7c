"""Where notifications and webhooks plug into the rest (`register`, called by
workspace/bootstrap.py): routes and pages, the outbox consumer that fans events
out to mail and webhooks, the periodic sweeps, the health report, the panel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workspace.db import utcnow
from workspace.house import House
from workspace.notifications import fanout
from workspace.notifications.models import OutgoingMail
from workspace.webhooks import pages as webhook_pages
from workspace.webhooks.models import Delivery, WebhookEndpoint


def register(house: House) -> None:
    house.routes(
        "workspace.notifications.api",
        "workspace.notifications.pages",
        "workspace.webhooks.api",
        "workspace.webhooks.pages",
    )
    house.consumer("notifications", fanout.fan_out)
    house.every("jobs.deliver_webhook.sweep", 10)
    house.every("jobs.send_email.sweep", 30)
    house.every("jobs.digest.run", 300, now_path="jobs.digest.run_now")
    house.health_section(notifications_health)
    house.panel(webhook_pages.workspace_panel)


def notifications_health(s: Session) -> dict[str, Any]:
    failing = (
        s.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.active.is_(True), WebhookEndpoint.failing_since.is_not(None))
        )
        or 0
    )
    disabled = (
        s.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.active.is_(False))
        )
        or 0
    )
    pending = (
        s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "pending"))
        or 0
    )
    oldest = s.scalar(select(func.min(Delivery.created_at)).where(Delivery.status == "pending"))
    mails = (
        s.scalar(
            select(func.count()).select_from(OutgoingMail).where(OutgoingMail.status == "pending")
        )
        or 0
    )
    # Ended for good (their `error` says why); a number that grows wants a look.
    failed_mails = (
        s.scalar(
            select(func.count()).select_from(OutgoingMail).where(OutgoingMail.status == "failed")
        )
        or 0
    )
    failed_deliveries = (
        s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "failed")) or 0
    )

    return {
        "webhooks": {
            "failing_endpoints": failing,
            "disabled_endpoints": disabled,
            "pending_deliveries": pending,
            "failed_deliveries": failed_deliveries,
            "oldest_pending_seconds": int((utcnow() - oldest).total_seconds()) if oldest else 0,
        },
        "mail": {"pending": mails, "failed": failed_mails},
    }
