"""The `notifications` outbox consumer: each committed event, once, becomes
webhook deliveries and mails (or digest items) in the consumer's transaction.

Work is queued after that transaction commits; the sweeps re-queue anything
whose queueing was lost (Redis down, worker killed).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import hears_webhook_trouble
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.events import after_commit
from workspace.events import types as ev
from workspace.events.models import Event
from workspace.events.types import matches
from workspace.notifications.models import DigestItem, NotificationPreference, OutgoingMail
from workspace.notifications.preferences import MENTION, choice
from workspace.spaces.models import Membership
from workspace.webhooks.models import Delivery, WebhookEndpoint


def fan_out(session: Session, events: list[Event]) -> None:
    plan_deliveries(session, events)
    plan_mail(session, events)


def message_id(event_id: int, endpoint_id: int) -> str:
    return f"msg_{event_id}_{endpoint_id}"


def plan_deliveries(session: Session, events: list[Event]) -> list[int]:
    workspace_ids = {e.workspace_id for e in events}
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id.in_(workspace_ids), WebhookEndpoint.active.is_(True)
        )
    ):
        endpoints[endpoint.workspace_id].append(endpoint)
    now = utcnow()
    rows = [
        Delivery(
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_type=event.type,
            message_id=message_id(event.id, endpoint.id),
            status="pending",
            next_attempt_at=now,
        )
        for event in events
        for endpoint in endpoints.get(event.workspace_id, ())
        if any(matches(p, event.type) for p in endpoint.events or ())
    ]
    if not rows:
        return []
    session.add_all(rows)
    session.flush()
    after_commit.wake(session, count=len(rows))
    return [row.id for row in rows]


def mentioned_ids(data: dict[str, Any]) -> set[int]:
    """Who hears of this event as of a mention. Comment events name them in
    `notify` (the mentioned, and on a reply the thread's earlier authors; on
    an edit only the newly mentioned); older events in `mentions`."""
    found = data.get("notify")
    if found is None:
        found = data.get("mentions")
    if found is None and isinstance(data.get("comment"), dict):
        found = data["comment"].get("mentions")
    return {int(x) for x in found or () if isinstance(x, int | str) and str(x).isdigit()}


def plan_mail(session: Session, events: list[Event]) -> None:
    workspace_ids = {e.workspace_id for e in events}
    members: dict[int, list[tuple[Membership, User]]] = defaultdict(list)
    for m, user in session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id.in_(workspace_ids), User.active.is_(True))
    ):
        members[m.workspace_id].append((m, user))
    user_ids = {u.id for rows in members.values() for _m, u in rows}
    prefs = (
        {
            p.user_id: p
            for p in session.scalars(
                select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids))
            )
        }
        if user_ids
        else {}
    )
    for event in events:
        mentioned = mentioned_ids(event.data or {})
        for m, user in members.get(event.workspace_id, ()):
            if user.id == event.actor_id:
                continue  # nobody needs a mail about what they just did
            if event.type == ev.WEBHOOK_DISABLED and not hears_webhook_trouble(m.role):
                continue
            reason = MENTION if user.id in mentioned else event.type
            how = choice(prefs.get(user.id), reason)
            if reason == MENTION and how == "off":
                how = "immediate"
            if how == "immediate":
                mail = OutgoingMail(
                    user_id=user.id,
                    kind="immediate",
                    reason=reason,
                    event_id=event.id,
                    status="pending",
                    next_attempt_at=utcnow(),
                )
                session.add(mail)
                session.flush()
                after_commit.enqueue(
                    session,
                    "jobs.send_email.send",
                    mail.id,
                    job_id=f"mail:{mail.id}",
                    queue="email",
                )
            elif how == "digest":
                session.add(DigestItem(user_id=user.id, event_id=event.id, reason=reason))
