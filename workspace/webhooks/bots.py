"""Chat-bot endpoints (DingTalk, Feishu, WeCom): one endpoint at a time.

Claim takes every due delivery of the endpoint at once (up to 20) under the
endpoint's row lock and the engine's lease, and holds them when the
platform's per-minute limit is reached, so a burst becomes fewer, merged
messages instead of dropped ones. Build and send outside any transaction;
record the attempts and settle every delivery of the message with the
engine's retry policy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.delivery.channel import attempt
from workspace.events import after_commit
from workspace.events.models import Event
from workspace.spaces.models import Membership, Workspace
from workspace.webhooks import formats, lifecycle, transport
from workspace.webhooks.leases import LEASE, due, lease_seconds, policy
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.webhooks.settling import apply, attempt_values, outcome, settled

BATCH_MAX = 20


@dataclass
class Claim:
    """The deliveries of one endpoint merged into one message, leased."""

    token: str
    endpoint_id: int
    fmt: str
    url: str
    secret: str | None
    ids: list[int]
    attempts_in_round: list[int]
    envelopes: list[dict[str, Any]]
    workspace_title: str
    locale: str
    public_url: str


class BotChannel:
    def __init__(self, sender: transport.Sender) -> None:
        self.sender = sender

    def build(self, claim: Claim) -> formats.Request:
        # Signed now, not at claim time: DingTalk and Feishu check the timestamp.
        return formats.bot_request(
            claim.fmt,
            claim.url,
            claim.secret,
            claim.envelopes,
            claim.workspace_title,
            claim.locale,
            claim.public_url,
        )

    def send(self, request: formats.Request) -> transport.Result:
        return self.sender.post(request.url, request.body, request.headers)


def due_endpoints(limit: int = 100) -> list[int]:
    now = utcnow()
    with db.reading() as s:
        return list(
            s.scalars(
                select(Delivery.endpoint_id)
                .distinct()
                .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
                .where(
                    due(now),
                    WebhookEndpoint.active.is_(True),
                    WebhookEndpoint.format.in_(formats.BOT_FORMATS),
                )
                .limit(limit)
            )
        )


def deliver_endpoint(endpoint_id: int, sender: transport.Sender, settings: Settings) -> str:
    claim = _claim(endpoint_id, settings)
    if isinstance(claim, str):
        return claim

    def unbuildable(err: Exception) -> tuple[formats.Request, transport.Result]:
        # Trying again would fail the same way: recorded and ended now,
        # rather than left leased and retried without end.
        error = f"could not compose the message: {failures.describe(err)}"[:500]
        return (
            formats.Request(claim.url, b"", {}),
            transport.Result(None, "", 0, error, permanent=True),
        )

    request, result = attempt(BotChannel(sender), claim, unbuildable)
    return _record(claim, request, result, settings)


def _claim(endpoint_id: int, settings: Settings) -> Claim | str:
    now = utcnow()
    token = uuid.uuid4().hex
    with db.transaction() as s:
        endpoint = s.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()
        )
        if endpoint is None or not endpoint.active:
            return "endpoint inactive"
        held = _rate_limited(s, endpoint, now)
        if held is not None:
            s.execute(
                update(Delivery)
                .where(Delivery.endpoint_id == endpoint.id, due(now))
                .values(next_attempt_at=held)
                .execution_options(synchronize_session=False)
            )
            after_commit.wake(s, delay=(held - now).total_seconds())
            return "held by rate limit"
        ids = list(
            s.scalars(
                select(Delivery.id)
                .where(Delivery.endpoint_id == endpoint.id, due(now))
                .order_by(Delivery.id)
                .limit(BATCH_MAX)
            )
        )
        if not LEASE.claim(s, ids, token, lease_seconds(settings), now):
            return "nothing to do" if not ids else "leased elsewhere"
        rows = list(
            s.scalars(select(Delivery).where(Delivery.lease_token == token).order_by(Delivery.id))
        )
        workspace = s.get(Workspace, endpoint.workspace_id)
        return Claim(
            token,
            endpoint.id,
            endpoint.format,
            endpoint.url,
            endpoint.secret,
            [d.id for d in rows],
            [d.attempts_in_round for d in rows],
            [_envelope(s, d) for d in rows],
            workspace.title if workspace else "",
            workspace_locale(s, workspace),
            settings.public_url,
        )


def _rate_limited(s: Session, endpoint: WebhookEndpoint, now: datetime) -> datetime | None:
    limit = formats.RATE_LIMITS.get(endpoint.format)
    if not limit:
        return None
    window = now - timedelta(seconds=60)
    sent = list(
        s.scalars(
            select(DeliveryAttempt.at)
            .where(
                DeliveryAttempt.endpoint_id == endpoint.id,
                DeliveryAttempt.at > window,
                DeliveryAttempt.batch_size > 0,
            )
            .order_by(DeliveryAttempt.at)
        )
    )
    in_flight = (
        s.scalar(
            select(func.count(func.distinct(Delivery.lease_token))).where(
                Delivery.endpoint_id == endpoint.id,
                Delivery.status == "pending",
                Delivery.leased_until > now,
            )
        )
        or 0
    )
    if len(sent) + in_flight < limit:
        return None
    oldest = sent[0] if sent else now
    return oldest + timedelta(seconds=61)


def _envelope(s: Session, delivery: Delivery) -> dict[str, Any]:
    if delivery.payload is not None:
        return delivery.payload
    if delivery.event_id is None:
        return {}
    event = s.get(Event, delivery.event_id)
    return event.envelope() if event is not None else {}


def workspace_locale(s: Session, workspace: Workspace | None) -> str:
    """Bots speak the enterprise lead's language (the enterprise owns the
    group chats these usually go to); Chinese when there is none."""
    if workspace is None:
        return "zh-CN"
    owners = s.scalars(
        select(Membership)
        .where(Membership.workspace_id == workspace.id, Membership.role == "owner")
        .order_by(Membership.created_at)
    )
    for member in owners:
        if member.user.organization_id == workspace.enterprise_id:
            return member.user.locale
    return "zh-CN"


def _record(
    claim: Claim, request: formats.Request, result: transport.Result, settings: Settings
) -> str:
    """One message went out for all the claim's deliveries: the first
    attempt row carries it and counts it for the rate limit, the others
    point at it. One that could not be built counts for nothing (batch_size 0)."""
    now = utcnow()
    answer = outcome(claim.fmt, result)
    went_out = not result.permanent
    first = claim.ids[0]
    with db.transaction() as s:
        endpoint = s.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.id == claim.endpoint_id).with_for_update()
        )
        if endpoint is None:
            return "endpoint deleted"  # its deliveries went with it
        s.execute(
            insert(DeliveryAttempt.__table__),
            [
                attempt_values(
                    delivery_id,
                    claim.endpoint_id,
                    request,
                    result,
                    answer.error,
                    answer.succeeded,
                    now,
                    batch_size=(len(claim.ids) if i == 0 else 0) if went_out else 0,
                    batched_with=first if went_out and i > 0 else None,
                )
                for i, delivery_id in enumerate(claim.ids)
            ],
        )
        # Only where the lease is still ours; someone else's now keeps our log.
        retry = policy(settings)
        apply(
            s,
            claim.token,
            [
                settled(d, n, answer, retry, now)
                for d, n in zip(claim.ids, claim.attempts_in_round, strict=True)
            ],
            now,
        )
        if answer.succeeded:
            lifecycle.note_success(endpoint, now)
        elif went_out:
            lifecycle.note_failure(s, endpoint, result.status, now)
    return "succeeded" if answer.succeeded else f"failed: {answer.error}"
