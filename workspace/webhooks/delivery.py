"""Sending one delivery (or, for chat bots, a batch): claim, send, record.

1. Claim: in a short transaction, lease the due delivery so no other worker
   sends it (`leased_until` outlives the request timeout). Chat bots take
   every due delivery of the endpoint at once, and hold them when the
   platform's per-minute limit is reached, so a burst becomes fewer, merged
   messages instead of dropped ones.
2. Send, outside any transaction.
3. Record the attempt and decide: done, retry later (exponential backoff from
   the schedule, with jitter), or give up; 410 and long failure disable the
   endpoint (lifecycle.py).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.events.models import Event
from workspace.webhooks import formats, lifecycle, transport
from workspace.webhooks.dispatch import deliver_after_commit
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.workspaces.models import Membership, Workspace

BATCH_MAX = 20
# A job may run a moment before its timer says; treat that as due.
EARLY = timedelta(seconds=0.5)


@dataclass
class Claim:
    token: str
    endpoint_id: int
    ids: list[int]
    request: formats.Request
    held_until: datetime | None = None
    envelopes: list[dict[str, Any]] = field(default_factory=list)


def lease_seconds(settings: Settings) -> float:
    return settings.webhook_timeout + 10


def deliver(delivery_id: int, settings: Settings) -> str:
    claim = _claim(delivery_id, settings)
    if isinstance(claim, str):
        return claim
    result = transport.post(claim.request.url, claim.request.body, claim.request.headers,
                            timeout=settings.webhook_timeout,
                            allow_private=settings.webhook_allow_private)
    return _record(claim, result, settings)


def _due(now: datetime) -> Any:
    return (Delivery.status == "pending") & (Delivery.next_attempt_at <= now + EARLY) & or_(
        Delivery.leased_until.is_(None), Delivery.leased_until < now)


def _claim(delivery_id: int, settings: Settings) -> Claim | str:
    now = utcnow()
    token = uuid.uuid4().hex
    until = now + timedelta(seconds=lease_seconds(settings))
    with db.transaction() as s:
        delivery = s.get(Delivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return "nothing to do"
        endpoint = s.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.id == delivery.endpoint_id).with_for_update())
        if endpoint is None or not endpoint.active:
            return "endpoint inactive"
        if delivery.next_attempt_at and delivery.next_attempt_at > now + EARLY:
            # Early (a sweep, or a redelivery racing a timer): come back when due.
            wait = (delivery.next_attempt_at - now).total_seconds()
            deliver_after_commit(s, delivery_id, delay=wait)
            return "not due yet"
        if endpoint.format in formats.BOT_FORMATS:
            held = _rate_limited(s, endpoint, now)
            if held is not None:
                s.execute(update(Delivery).where(
                    Delivery.endpoint_id == endpoint.id, _due(now)).values(next_attempt_at=held)
                    .execution_options(synchronize_session=False))
                deliver_after_commit(s, delivery_id, delay=(held - now).total_seconds())
                return "held by rate limit"
            ids = list(s.scalars(select(Delivery.id).where(
                Delivery.endpoint_id == endpoint.id, _due(now)).order_by(Delivery.id)
                .limit(BATCH_MAX)))
        else:
            ids = [delivery_id]
        claimed = s.execute(
            update(Delivery).where(Delivery.id.in_(ids), _due(now))
            .values(leased_until=until, lease_token=token)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return "leased elsewhere"
        rows = list(s.scalars(select(Delivery).where(Delivery.lease_token == token)
                              .order_by(Delivery.id)))
        envelopes = [_envelope(s, d) for d in rows]
        request = _build(s, endpoint, rows, envelopes, settings, now)
        return Claim(token, endpoint.id, [d.id for d in rows], request, envelopes=envelopes)


def _rate_limited(s: Session, endpoint: WebhookEndpoint, now: datetime) -> datetime | None:
    limit = formats.RATE_LIMITS.get(endpoint.format)
    if not limit:
        return None
    window = now - timedelta(seconds=60)
    sent = list(s.scalars(select(DeliveryAttempt.at).where(
        DeliveryAttempt.endpoint_id == endpoint.id, DeliveryAttempt.at > window,
        DeliveryAttempt.batch_size > 0).order_by(DeliveryAttempt.at)))
    in_flight = s.scalar(select(func.count(func.distinct(Delivery.lease_token))).where(
        Delivery.endpoint_id == endpoint.id, Delivery.status == "pending",
        Delivery.leased_until > now)) or 0
    if len(sent) + in_flight < limit:
        return None
    oldest = sent[0] if sent else now
    return oldest + timedelta(seconds=61)


def _envelope(s: Session, delivery: Delivery) -> dict[str, Any]:
    if delivery.payload is not None:
        return delivery.payload
    event = s.get(Event, delivery.event_id)
    return event.envelope() if event is not None else {}


def _build(s: Session, endpoint: WebhookEndpoint, rows: list[Delivery],
           envelopes: list[dict[str, Any]], settings: Settings, now: datetime) -> formats.Request:
    if endpoint.format == "standard":
        secrets_ = [endpoint.secret or ""]
        if endpoint.previous_secret and (endpoint.previous_secret_expires_at or now) > now:
            secrets_.append(endpoint.previous_secret)
        return formats.standard_request(endpoint.url, rows[0].message_id, envelopes[0], secrets_)
    workspace = s.get(Workspace, endpoint.workspace_id)
    return formats.bot_request(endpoint.format, endpoint.url, endpoint.secret, envelopes,
                               workspace.title if workspace else "", workspace_locale(s, workspace),
                               settings.public_url)


def workspace_locale(s: Session, workspace: Workspace | None) -> str:
    """Bots speak the enterprise lead's language (the enterprise owns the
    group chats these usually go to); Chinese when there is none."""
    if workspace is None:
        return "zh-CN"
    owners = s.scalars(select(Membership).where(
        Membership.workspace_id == workspace.id, Membership.role == "owner")
        .order_by(Membership.created_at))
    for member in owners:
        if member.user.organization_id == workspace.enterprise_id:
            return member.user.locale
    return "zh-CN"


def _record(claim: Claim, result: transport.Result, settings: Settings) -> str:
    now = utcnow()
    with db.transaction() as s:
        endpoint = s.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.id == claim.endpoint_id).with_for_update())
        rows = list(s.scalars(select(Delivery).where(Delivery.id.in_(claim.ids))))
        error = result.error
        if error is None and result.ok and endpoint is not None \
                and endpoint.format in formats.BOT_FORMATS:
            error = formats.bot_error(endpoint.format, result.body)
        succeeded = result.ok and error is None
        if error is None and not succeeded:
            error = f"HTTP {result.status}"
        for index, delivery in enumerate(rows):
            s.add(_attempt(delivery, claim, result, error, succeeded, now,
                           batch_size=len(rows) if index == 0 else 0))
            if delivery.lease_token != claim.token or delivery.status != "pending":
                continue  # someone else owns it now; our attempt is still logged
            delivery.leased_until = None
            delivery.lease_token = None
            if succeeded:
                delivery.status, delivery.completed_at = "succeeded", now
            else:
                _schedule_retry(s, delivery, settings, now)
        if endpoint is not None:
            if succeeded:
                lifecycle.note_success(endpoint, now)
            else:
                lifecycle.note_failure(s, endpoint, result.status, now)
    return "succeeded" if succeeded else f"failed: {error}"


def _attempt(delivery: Delivery, claim: Claim, result: transport.Result, error: str | None,
             succeeded: bool, now: datetime, batch_size: int) -> DeliveryAttempt:
    headers = {k: v for k, v in claim.request.headers.items()}
    body = claim.request.body.decode("utf-8", "replace")
    if batch_size == 0:
        body = json.dumps({"batched_with_delivery": claim.ids[0]})
    return DeliveryAttempt(
        delivery_id=delivery.id, endpoint_id=delivery.endpoint_id, at=now,
        request_headers=headers, request_body=body[: transport.EXCERPT],
        response_status=result.status, response_body=result.body[: transport.EXCERPT],
        duration_ms=result.duration_ms, error=error, succeeded=succeeded, batch_size=batch_size,
    )


def _schedule_retry(s: Session, delivery: Delivery, settings: Settings, now: datetime) -> None:
    delivery.attempts_in_round += 1
    schedule = settings.webhook_retry_schedule
    if delivery.attempts_in_round > len(schedule):
        delivery.status, delivery.completed_at = "failed", now
        return
    base = schedule[delivery.attempts_in_round - 1]
    # Jitter spreads the retries of many deliveries that failed together.
    wait = base * random.uniform(1.0, 1.2)
    delivery.next_attempt_at = now + timedelta(seconds=wait)
    deliver_after_commit(s, delivery.id, delay=wait)


def due_delivery_ids(limit: int = 5000) -> list[int]:
    now = utcnow()
    with db.reading() as s:
        return list(s.scalars(select(Delivery.id).where(
            Delivery.status == "pending", Delivery.next_attempt_at <= now,
            or_(Delivery.leased_until.is_(None), Delivery.leased_until < now))
            .order_by(Delivery.next_attempt_at).limit(limit)))
