"""Turning an endpoint off: on `410 Gone`, or after failing for days.

Disabling records `webhook.disabled` in the workspace's log, so the owners
hear of it through their notification preferences like any other event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session

from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.webhooks.models import Delivery, WebhookEndpoint

FAILING_DAYS_BEFORE_DISABLE = 5


def masked_url(url: str) -> str:
    """Bot URLs carry their access token, and a receiver's path is often its
    only secret however short (a topic, a key): events, which every reader of
    the workspace sees, and mails show only the host. Owners see the URL in
    the webhook list."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        host += f":{port}"
    hidden = parts.path not in ("", "/") or parts.query
    return f"{parts.scheme}://{host}" + ("/…" if hidden else "")


def endpoint_summary(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.id, "url": masked_url(endpoint.url), "format": endpoint.format}


def disable(session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    if not endpoint.active:
        return
    endpoint.active = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = now
    session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint.id, Delivery.status == "pending")
        .values(status="failed", completed_at=now, leased_until=None, lease_token=None)
        .execution_options(synchronize_session=False)
    )
    record_event(
        session,
        endpoint.workspace_id,
        ev.WEBHOOK_DISABLED,
        {"webhook": endpoint_summary(endpoint), "reason": reason[:300]},
    )


def note_failure(
    session: Session, endpoint: WebhookEndpoint, status: int | None, now: datetime
) -> None:
    if status == 410:
        disable(session, endpoint, "The receiver answered 410 Gone.", now)
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    elif now - endpoint.failing_since >= timedelta(days=FAILING_DAYS_BEFORE_DISABLE):
        disable(
            session, endpoint, f"Every delivery failed for {FAILING_DAYS_BEFORE_DISABLE} days.", now
        )


def note_success(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.failing_since = None
    endpoint.last_success_at = now
