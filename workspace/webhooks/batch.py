"""`standard` deliveries, many at a time.

Claim: one transaction leases up to N due deliveries (on PostgreSQL they are
picked `FOR UPDATE SKIP LOCKED`, so concurrent jobs take disjoint rows
instead of queueing behind each other; SQLite has one writer anyway).
Send: each claimed delivery is signed and posted by a thread of the job.
Record: the answers of many deliveries go into one transaction of a few
set-based statements.

The guarantees are the single delivery's: a delivery is sent only under a
lease, its outcome is written only by the lease holder and only while it is
pending (so success is recorded once), its `webhook-id` is fixed on the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.events.models import Event
from workspace.webhooks import formats, lifecycle, transport
from workspace.webhooks.dispatch import wake_after_commit
from workspace.webhooks.leases import due, lease_seconds
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.webhooks.outcome import judge, next_try

DELIVERIES = Delivery.__table__
ENDPOINTS = WebhookEndpoint.__table__
NEXT_TYPE = DELIVERIES.c.next_attempt_at.type


@dataclass
class Claimed:
    delivery_id: int
    endpoint_id: int
    message_id: str
    attempts_in_round: int
    url: str
    secrets: list[str]
    envelope: dict[str, Any]


@dataclass
class Sent:
    claimed: Claimed
    request: formats.Request
    result: transport.Result


def claim(limit: int, token: str, settings: Settings) -> list[Claimed]:
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds(settings))
    with db.transaction() as s:
        pick = (select(Delivery.id)
                .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
                .where(due(now), WebhookEndpoint.active.is_(True),
                       WebhookEndpoint.format == "standard")
                .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))
        if not db.is_sqlite:
            pick = pick.with_for_update(of=Delivery, skip_locked=True)
        # Two statements, not `UPDATE … WHERE id IN (SELECT … LIMIT n SKIP
        # LOCKED)`: PostgreSQL may run such a subquery again for each row it
        # updates, and lease far more than n rows.
        ids = list(s.scalars(pick))
        if not ids:
            return []
        rows = s.execute(
            update(DELIVERIES).where(DELIVERIES.c.id.in_(ids), due(now))
            .values(leased_until=until, lease_token=token)
            .returning(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.event_id,
                       DELIVERIES.c.message_id, DELIVERIES.c.payload,
                       DELIVERIES.c.attempts_in_round)
        ).all()
        if not rows:
            return []
        endpoints = {e.id: e for e in s.execute(
            select(ENDPOINTS.c.id, ENDPOINTS.c.url, ENDPOINTS.c.secret,
                   ENDPOINTS.c.previous_secret, ENDPOINTS.c.previous_secret_expires_at)
            .where(ENDPOINTS.c.id.in_({r.endpoint_id for r in rows})))}
        envelopes = _envelopes(s, {r.event_id for r in rows if r.payload is None})
    claimed = []
    for r in sorted(rows, key=lambda r: r.id):
        endpoint = endpoints[r.endpoint_id]
        secrets_ = [endpoint.secret or ""]
        if endpoint.previous_secret and (endpoint.previous_secret_expires_at or now) > now:
            secrets_.append(endpoint.previous_secret)
        envelope = r.payload if r.payload is not None else envelopes.get(r.event_id, {})
        claimed.append(Claimed(r.id, r.endpoint_id, r.message_id, r.attempts_in_round,
                               endpoint.url, secrets_, envelope))
    return claimed


def _envelopes(s: Session, event_ids: set[int | None]) -> dict[int, dict[str, Any]]:
    wanted = {i for i in event_ids if i is not None}
    if not wanted:
        return {}
    return {e.id: e.envelope() for e in s.scalars(select(Event).where(Event.id.in_(wanted)))}


def send(sender: transport.Sender, item: Claimed) -> Sent:
    """Sign at the moment of sending, so `webhook-timestamp` is fresh. A
    request that cannot be made is an answer too (failed for good), recorded
    like any other, never an exception that would leave it leased and retried
    without end."""
    try:
        request = formats.standard_request(item.url, item.message_id, item.envelope,
                                           item.secrets)
    except Exception as err:
        return Sent(item, formats.Request(item.url, b"", {}),
                    transport.Result(None, "", 0, "could not compose the request: "
                                     + failures.describe(err), permanent=True))
    return Sent(item, request, sender.post(request.url, request.body, request.headers))


def record(sent: list[Sent], token: str, settings: Settings) -> None:
    """Every answer in one transaction. Endpoint rows are locked first, in id
    order, as every writer of an endpoint and its deliveries does; holding
    them also keeps a deleted endpoint's deliveries from vanishing under us."""
    now = utcnow()
    with db.transaction() as s:
        alive = set(s.scalars(
            select(ENDPOINTS.c.id).where(ENDPOINTS.c.id.in_({x.claimed.endpoint_id for x in sent}))
            .order_by(ENDPOINTS.c.id).with_for_update()))
        # An endpoint deleted meanwhile took its deliveries with it.
        judged = [(x, *judge("standard", x.result)) for x in sent if x.claimed.endpoint_id in alive]
        if not judged:
            return
        s.execute(insert(DeliveryAttempt.__table__), [_attempt(x, ok, error, now)
                                                     for x, ok, error in judged])
        # Only the lease holder moves a delivery on, and only while pending: a
        # lease that ran out and was taken over is logged above, not applied.
        mine = and_(DELIVERIES.c.lease_token == token, DELIVERIES.c.status == "pending")
        won = [x.claimed.delivery_id for x, ok, _ in judged if ok]
        if won:
            s.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(won), mine).values(
                status="succeeded", completed_at=now, leased_until=None, lease_token=None))
        retries = [_retry(s, x.claimed, settings, now, x.result.permanent)
                   for x, ok, _ in judged if not ok]
        if retries:
            s.execute(update(DELIVERIES).where(DELIVERIES.c.id == bindparam("b_id"), mine)
                      .values(status=bindparam("b_status"),
                              attempts_in_round=bindparam("b_attempts"),
                              next_attempt_at=func.coalesce(bindparam("b_next", type_=NEXT_TYPE),
                                                            DELIVERIES.c.next_attempt_at),
                              completed_at=bindparam("b_completed"),
                              leased_until=None, lease_token=None), retries)
        _note_endpoints(s, judged, now)


def _attempt(x: Sent, succeeded: bool, error: str | None, now: datetime) -> dict[str, Any]:
    return {
        "delivery_id": x.claimed.delivery_id, "endpoint_id": x.claimed.endpoint_id, "at": now,
        "request_headers": dict(x.request.headers),
        "request_body": x.request.body.decode("utf-8", "replace")[: transport.EXCERPT],
        "response_status": x.result.status,
        "response_body": x.result.body[: transport.EXCERPT],
        "duration_ms": x.result.duration_ms, "error": error, "succeeded": succeeded,
        "batch_size": 1,
    }


def _retry(s: Session, item: Claimed, settings: Settings, now: datetime,
           permanent: bool = False) -> dict[str, Any]:
    attempts, at, wait = next_try(item.attempts_in_round, settings, now)
    if permanent:
        at = wait = None
    if at is not None:
        wake_after_commit(s, delay=wait)
    return {"b_id": item.delivery_id, "b_attempts": attempts,
            "b_status": "pending" if at is not None else "failed",
            "b_next": at,
            "b_completed": None if at is not None else now}


def _note_endpoints(s: Session, judged: list[tuple[Sent, bool, str | None]],
                    now: datetime) -> None:
    """Endpoints last: a 410 disables its endpoint and fails what is still
    pending for it, after this batch's own outcomes are in place."""
    failing = {x.claimed.endpoint_id for x, ok, _ in judged if not ok}
    healthy = {x.claimed.endpoint_id for x, ok, _ in judged if ok} - failing
    if healthy:
        s.execute(update(ENDPOINTS).where(ENDPOINTS.c.id.in_(healthy))
                  .values(failing_since=None, last_success_at=now))
    if not failing:
        return
    endpoints = {e.id: e for e in s.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(failing)))}
    for x, ok, _ in judged:  # in the order the answers came
        endpoint = endpoints.get(x.claimed.endpoint_id)
        if endpoint is None:
            continue
        if ok:
            lifecycle.note_success(endpoint, now)
        else:
            lifecycle.note_failure(s, endpoint, x.result.status, now)
