"""`standard` deliveries, many at a time, on the delivery engine's lease and
retry policy (workspace/delivery).

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
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.delivery.channel import attempt
from workspace.delivery.lease import skip_locked
from workspace.events.models import Event
from workspace.webhooks import formats, lifecycle, transport
from workspace.webhooks.leases import LEASE, due, lease_seconds, policy
from workspace.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from workspace.webhooks.settling import apply, attempt_values, outcome, settled

DELIVERIES = Delivery.__table__
ENDPOINTS = WebhookEndpoint.__table__


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
    with db.transaction() as s:
        ids = list(
            s.scalars(
                skip_locked(
                    select(Delivery.id)
                    .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
                    .where(
                        due(now),
                        WebhookEndpoint.active.is_(True),
                        WebhookEndpoint.format == "standard",
                    )
                    .order_by(Delivery.next_attempt_at, Delivery.id)
                    .limit(limit),
                    of=Delivery,
                )
            )
        )
        rows = LEASE.claim(
            s,
            ids,
            token,
            lease_seconds(settings),
            now,
            DELIVERIES.c.endpoint_id,
            DELIVERIES.c.event_id,
            DELIVERIES.c.message_id,
            DELIVERIES.c.payload,
            DELIVERIES.c.attempts_in_round,
        )
        if not rows:
            return []
        endpoints = {
            e.id: e
            for e in s.execute(
                select(
                    ENDPOINTS.c.id,
                    ENDPOINTS.c.url,
                    ENDPOINTS.c.secret,
                    ENDPOINTS.c.previous_secret,
                    ENDPOINTS.c.previous_secret_expires_at,
                ).where(ENDPOINTS.c.id.in_({r.endpoint_id for r in rows}))
            )
        }
        envelopes = _envelopes(s, {r.event_id for r in rows if r.payload is None})
    claimed = []
    for r in sorted(rows, key=lambda r: r.id):
        endpoint = endpoints[r.endpoint_id]
        secrets_ = [endpoint.secret or ""]
        if endpoint.previous_secret and (endpoint.previous_secret_expires_at or now) > now:
            secrets_.append(endpoint.previous_secret)
        envelope = r.payload if r.payload is not None else envelopes.get(r.event_id, {})
        claimed.append(
            Claimed(
                r.id,
                r.endpoint_id,
                r.message_id,
                r.attempts_in_round,
                endpoint.url,
                secrets_,
                envelope,
            )
        )
    return claimed


def _envelopes(s: Session, event_ids: set[int | None]) -> dict[int, dict[str, Any]]:
    wanted = {i for i in event_ids if i is not None}
    if not wanted:
        return {}
    return {e.id: e.envelope() for e in s.scalars(select(Event).where(Event.id.in_(wanted)))}


class StandardChannel:
    """`standard` deliveries: signed at the moment of sending, so
    `webhook-timestamp` is fresh."""

    def __init__(self, sender: transport.Sender) -> None:
        self.sender = sender

    def build(self, item: Claimed) -> formats.Request:
        return formats.standard_request(item.url, item.message_id, item.envelope, item.secrets)

    def send(self, request: formats.Request) -> transport.Result:
        return self.sender.post(request.url, request.body, request.headers)


def send(sender: transport.Sender, item: Claimed) -> Sent:
    def unbuildable(err: Exception) -> tuple[formats.Request, transport.Result]:
        return (
            formats.Request(item.url, b"", {}),
            transport.Result(
                None,
                "",
                0,
                "could not compose the request: " + failures.describe(err),
                permanent=True,
            ),
        )

    return Sent(item, *attempt(StandardChannel(sender), item, unbuildable))


def record(sent: list[Sent], token: str, settings: Settings) -> None:
    """Every answer in one transaction. Endpoint rows are locked first, in id
    order, as every writer of an endpoint and its deliveries does; holding
    them also keeps a deleted endpoint's deliveries from vanishing under us."""
    now = utcnow()
    retry = policy(settings)
    with db.transaction() as s:
        alive = set(
            s.scalars(
                select(ENDPOINTS.c.id)
                .where(ENDPOINTS.c.id.in_({x.claimed.endpoint_id for x in sent}))
                .order_by(ENDPOINTS.c.id)
                .with_for_update()
            )
        )
        # An endpoint deleted meanwhile took its deliveries with it.
        answers = [
            (x, outcome("standard", x.result)) for x in sent if x.claimed.endpoint_id in alive
        ]
        if not answers:
            return
        s.execute(
            insert(DeliveryAttempt.__table__),
            [
                attempt_values(
                    x.claimed.delivery_id,
                    x.claimed.endpoint_id,
                    x.request,
                    x.result,
                    answer.error,
                    answer.succeeded,
                    now,
                )
                for x, answer in answers
            ],
        )
        # Only the lease holder moves a delivery on, and only while pending: a
        # lease that ran out and was taken over is logged above, not applied.
        apply(
            s,
            token,
            [
                settled(x.claimed.delivery_id, x.claimed.attempts_in_round, answer, retry, now)
                for x, answer in answers
            ],
            now,
        )
        _note_endpoints(s, [(x, answer.succeeded, answer.error) for x, answer in answers], now)


def _note_endpoints(s: Session, judged: list[tuple[Sent, bool, str | None]], now: datetime) -> None:
    """Endpoints last: a 410 disables its endpoint and fails what is still
    pending for it, after this batch's own outcomes are in place."""
    failing = {x.claimed.endpoint_id for x, ok, _ in judged if not ok}
    healthy = {x.claimed.endpoint_id for x, ok, _ in judged if ok} - failing
    if healthy:
        s.execute(
            update(ENDPOINTS)
            .where(ENDPOINTS.c.id.in_(healthy))
            .values(failing_since=None, last_success_at=now)
        )
    if not failing:
        return
    endpoints = {
        e.id: e for e in s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(failing)))
    }
    for x, ok, _ in judged:  # in the order the answers came
        endpoint = endpoints.get(x.claimed.endpoint_id)
        if endpoint is None:
            continue
        if ok:
            lifecycle.note_success(endpoint, now)
        else:
            lifecycle.note_failure(s, endpoint, x.result.status, now)
