"""Managing a workspace's webhooks: owners only (Need.MANAGE)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, require_row, require_workspace
from workspace.auth.models import User
from workspace.config import Settings
from workspace.db import newest_first, utcnow
from workspace.errors import Conflict, NotFound, ValidationFailed
from workspace.events import after_commit
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.fields import iso_utc
from workspace.webhooks import lifecycle, ssrf, stored_secrets
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.webhooks.signing import new_secret

ROTATION_OVERLAP = timedelta(hours=24)


def check_url(url: str, fmt: str, settings: Settings) -> None:
    try:
        if settings.webhook_allow_private:
            ssrf.parse(url)
        else:
            ssrf.resolve(url, allow_private=False)
    except ssrf.UnsafeURL as err:
        raise ValidationFailed(
            "This URL cannot receive webhooks.", fields={"url": [str(err)]}
        ) from None
    if fmt != "standard" and not url.startswith("https://") and not settings.webhook_allow_private:
        raise ValidationFailed(
            "Chat bots are reached over https.",
            fields={"url": ["Use the https:// URL the platform gave you."]},
        )


def create_webhook(
    session: Session, actor: User, workspace_id: int, data: dict[str, Any], settings: Settings
) -> tuple[WebhookEndpoint, str | None]:
    ws = require_workspace(session, actor, workspace_id, Need.MANAGE)
    fmt = data["format"]
    check_url(data["url"], fmt, settings)
    if fmt == "standard":
        secret = new_secret()
    elif fmt == "wecom":
        secret = None  # WeCom bots are authenticated by the key in the URL
    else:
        secret = (data.get("secret") or "").strip() or None
    endpoint = WebhookEndpoint(
        workspace_id=ws.id,
        url=data["url"],
        events=sorted(set(data["events"])),
        format=fmt,
        secret=secret,
        active=True,
        created_by_id=actor.id,
    )
    session.add(endpoint)
    session.flush()
    record_event(
        session,
        ws.id,
        ev.WEBHOOK_CREATED,
        {"webhook": lifecycle.endpoint_summary(endpoint) | {"events": endpoint.events}},
        actor,
    )
    return endpoint, secret if fmt == "standard" else None


def list_webhooks(session: Session, actor: User, workspace_id: int) -> list[WebhookEndpoint]:
    require_workspace(session, actor, workspace_id, Need.MANAGE)
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == workspace_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_webhook(session: Session, actor: User, webhook_id: int) -> WebhookEndpoint:
    return require_row(
        session, actor, WebhookEndpoint, webhook_id, Need.MANAGE, "Webhook not found."
    )


def update_webhook(
    session: Session, actor: User, webhook_id: int, data: dict[str, Any]
) -> WebhookEndpoint:
    endpoint = get_webhook(session, actor, webhook_id)
    if "events" in data:
        endpoint.events = sorted(set(data["events"]))
    if data.get("active") is True and not endpoint.active:
        endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
        endpoint.failing_since = None
    elif data.get("active") is False and endpoint.active:
        endpoint.active, endpoint.disabled_reason = False, "Turned off by an owner."
        endpoint.disabled_at = utcnow()
    return endpoint


def delete_webhook(session: Session, actor: User, webhook_id: int) -> None:
    session.delete(get_webhook(session, actor, webhook_id))


def rotate_secret(session: Session, actor: User, webhook_id: int) -> tuple[WebhookEndpoint, str]:
    endpoint = get_webhook(session, actor, webhook_id)
    if endpoint.format != "standard":
        raise Conflict(
            "Only standard webhooks have a secret made by JointLab; for a chat bot, "
            "delete the webhook and add it again with the platform's new secret."
        )
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    return endpoint, endpoint.secret


def _require_readable_secret(session: Session, endpoint: WebhookEndpoint) -> None:
    """A delivery job signs with the secret: refuse to queue one that could
    only go out unsigned (SECRET_KEY changed since the secret was stored)."""
    if stored_secrets.is_unreadable(session, endpoint.id):
        raise Conflict(
            "This webhook's secret can no longer be read (SECRET_KEY has changed); "
            "rotate the secret, or add the chat bot again, then try again.",
            code="webhook_secret_unreadable",
        )


def ping(session: Session, actor: User, webhook_id: int) -> Delivery:
    endpoint = get_webhook(session, actor, webhook_id)
    if not endpoint.active:
        raise Conflict("This webhook is disabled; turn it on again before pinging it.")
    _require_readable_secret(session, endpoint)
    now = utcnow()
    envelope = {
        "id": None,
        "seq": None,
        "type": "webhook.ping",
        "workspace_id": endpoint.workspace_id,
        "actor": {"id": actor.id, "name": actor.name},
        "occurred_at": iso_utc(now),
        "data": {"webhook": lifecycle.endpoint_summary(endpoint)},
    }
    delivery = Delivery(
        endpoint_id=endpoint.id,
        event_id=None,
        event_type="webhook.ping",
        message_id="",
        payload=envelope,
        status="pending",
        next_attempt_at=now,
    )
    session.add(delivery)
    session.flush()
    delivery.message_id = f"msg_ping_{delivery.id}"
    after_commit.wake(session)
    return delivery


def list_deliveries(
    session: Session, actor: User, webhook_id: int, before_id: int, limit: int
) -> list[Delivery]:
    get_webhook(session, actor, webhook_id)
    stmt = select(Delivery).where(Delivery.endpoint_id == webhook_id)
    return list(session.scalars(newest_first(stmt, Delivery.id, before_id, limit)))


def attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[DeliveryAttempt]]:
    found: dict[int, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
            .order_by(DeliveryAttempt.id)
        ):
            found[attempt.delivery_id].append(attempt)
    return found


def get_delivery(session: Session, actor: User, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found.")
    try:
        get_webhook(session, actor, delivery.endpoint_id)
    except NotFound:
        raise NotFound("Delivery not found.") from None
    return delivery


def redeliver(session: Session, actor: User, delivery_id: int) -> Delivery:
    """A new round for the same delivery: same webhook-id, attempts kept."""
    delivery = get_delivery(session, actor, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if not endpoint.active:
        raise Conflict("This webhook is disabled; turn it on again before redelivering.")
    if delivery.status == "pending":
        raise Conflict("This delivery is still being attempted.")
    _require_readable_secret(session, endpoint)
    delivery.status = "pending"
    delivery.attempts_in_round = 0
    delivery.next_attempt_at = utcnow()
    delivery.completed_at = None
    after_commit.wake(session)
    return delivery
