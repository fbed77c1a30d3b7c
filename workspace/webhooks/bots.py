"""Chat-bot endpoints (DingTalk, Feishu, WeCom): one endpoint at a time.

Claim takes every due delivery of the endpoint at once (up to 20) under the
endpoint's row lock, and holds them when the platform's per-minute limit is
reached, so a burst becomes fewer, merged messages instead of dropped ones.
Send outside any transaction; record the attempt and decide.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.events.models import Event
from workspace.webhooks import formats, lifecycle, transport
from workspace.webhooks.dispatch import wake_after_commit
from workspace.webhooks.leases import due, lease_seconds
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.webhooks.outcome import attempt_row, judge, settle
from workspace.workspaces.models import Membership, Workspace

BATCH_MAX = 20


@dataclass
class Claim:
    token: str
    endpoint_id: int
    fmt: str
    ids: list[int]
    request: formats.Request


def due_endpoints(limit: int = 100) -> list[int]:
    now = utcnow()
    with db.reading() as s:
        return list(s.scalars(
            select(Delivery.endpoint_id).distinct()
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .where(due(now), WebhookEndpoint.active.is_(True),
                   WebhookEndpoint.format.in_(formats.BOT_FORMATS)).limit(limit)))


def deliver_endpoint(endpoint_id: int, sender: transport.Sender, settings: Settings) -> str:
    claim = _claim(endpoint_id, settings)
    if isinstance(claim, str):
        return claim
    result = sender.post(claim.request.url, claim.request.body, claim.request.headers)
    return _record(claim, result, settings)


def _claim(endpoint_id: int, settings: Settings) -> Claim | str:
    now = utcnow()
    token = uuid.uuid4().hex
    until = now + timedelta(seconds=lease_seconds(settings))
    with db.transaction() as s:
        endpoint = s.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id).with_for_update())
        if endpoint is None or not endpoint.active:
            return "endpoint inactive"
        held = _rate_limited(s, endpoint, now)
        if held is not None:
            s.execute(update(Delivery).where(Delivery.endpoint_id == endpoint.id, due(now))
                      .values(next_attempt_at=held)
                      .execution_options(synchronize_session=False))
            wake_after_commit(s, delay=(held - now).total_seconds())
            return "held by rate limit"
        ids = list(s.scalars(select(Delivery.id).where(
            Delivery.endpoint_id == endpoint.id, due(now)).order_by(Delivery.id)
            .limit(BATCH_MAX)))
        if not ids:
            return "nothing to do"
        claimed = s.execute(
            update(Delivery).where(Delivery.id.in_(ids), due(now))
            .values(leased_until=until, lease_token=token)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return "leased elsewhere"
        rows = list(s.scalars(select(Delivery).where(Delivery.lease_token == token)
                              .order_by(Delivery.id)))
        envelopes = [_envelope(s, d) for d in rows]
        workspace = s.get(Workspace, endpoint.workspace_id)
        locale = workspace_locale(s, workspace)
        try:
            request = formats.bot_request(endpoint.format, endpoint.url, endpoint.secret,
                                          envelopes, workspace.title if workspace else "",
                                          locale, settings.public_url)
        except Exception as err:
            # Trying again would fail the same way: recorded and ended now,
            # rather than left leased and retried without end.
            return _fail_uncomposable(s, endpoint, rows, failures.describe(err), now)
        return Claim(token, endpoint.id, endpoint.format, [d.id for d in rows], request)


def _fail_uncomposable(s: Session, endpoint: WebhookEndpoint, rows: list[Delivery],
                       error: str, now: datetime) -> str:
    error = f"could not compose the message: {error}"[:500]
    nothing = formats.Request(endpoint.url, b"", {})
    result = transport.Result(None, "", 0, error, permanent=True)
    for delivery in rows:
        # batch_size 0: nothing went out, so the rate limit does not count it.
        s.add(attempt_row(delivery, nothing, result, error, False, now, batch_size=0))
        delivery.status, delivery.completed_at = "failed", now
        delivery.leased_until = delivery.lease_token = None
    return f"failed: {error}"


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
    if delivery.event_id is None:
        return {}
    event = s.get(Event, delivery.event_id)
    return event.envelope() if event is not None else {}


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
        rows = list(s.scalars(select(Delivery).where(Delivery.id.in_(claim.ids))
                              .order_by(Delivery.id).with_for_update()))
        succeeded, error = judge(claim.fmt, result)
        for index, delivery in enumerate(rows):
            s.add(attempt_row(delivery, claim.request, result, error, succeeded, now,
                              batch_size=len(rows) if index == 0 else 0,
                              batched_with=None if index == 0 else claim.ids[0]))
            if delivery.lease_token == claim.token and delivery.status == "pending":
                settle(s, delivery, succeeded, settings, now)
            # else someone else owns it now; our attempt is still logged
        if endpoint is not None:
            if succeeded:
                lifecycle.note_success(endpoint, now)
            else:
                lifecycle.note_failure(s, endpoint, result.status, now)
    return "succeeded" if succeeded else f"failed: {error}"
