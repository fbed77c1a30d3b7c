"""The daily digest: one mail per person per local day, at their hour.

A person's digest is due when it is their chosen hour where they live, or
later that day if items were already waiting at that hour (the scheduler was
down). The unique (user, local date) row makes a second digest the same day
impossible, however often or wherever the job runs.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from workspace.auth.models import User
from workspace.db import db, utcnow
from workspace.events import after_commit
from workspace.notifications.models import DigestItem, NotificationPreference, OutgoingMail
from workspace.notifications.preferences import DEFAULT_DIGEST_HOUR
from workspace.zones import zone


def send_due_digests(now: datetime | None = None, *, every_waiting: bool = False) -> int:
    """Make the digests that are due. `every_waiting`: as if everyone's hour
    had come (`scheduler run-once`): each person with waiting items gets
    today's digest now, unless they already had it today."""
    now = now or utcnow()
    with db.reading() as s:
        waiting = s.execute(
            select(DigestItem.user_id, func.min(DigestItem.created_at))
            .where(DigestItem.mail_id.is_(None))
            .group_by(DigestItem.user_id)
        ).all()
        users = (
            {
                u.id: u
                for u in s.scalars(select(User).where(User.id.in_([uid for uid, _ in waiting])))
            }
            if waiting
            else {}
        )
        hours = dict(
            s.execute(
                select(NotificationPreference.user_id, NotificationPreference.digest_hour)
            ).all()
        )
    made = 0
    for user_id, oldest in waiting:
        user = users.get(user_id)
        if user is None:
            continue
        local = now.astimezone(zone(user.timezone))
        hour = hours.get(user_id, DEFAULT_DIGEST_HOUR)
        slot = datetime.combine(local.date(), time(hour), tzinfo=local.tzinfo)
        if not every_waiting and not (local.hour == hour or (local >= slot and oldest < slot)):
            continue
        if _make_digest(user_id, local.date(), now):
            made += 1
    return made


def _make_digest(user_id: int, day: object, now: datetime) -> bool:
    try:
        with db.transaction() as s:
            exists = s.scalar(
                select(OutgoingMail.id).where(
                    OutgoingMail.user_id == user_id, OutgoingMail.digest_date == day
                )
            )
            if exists is not None:
                return False
            mail = OutgoingMail(
                user_id=user_id,
                kind="digest",
                reason="digest",
                digest_date=day,
                status="pending",
                next_attempt_at=now,
            )
            s.add(mail)
            s.flush()
            s.execute(
                update(DigestItem)
                .where(
                    DigestItem.user_id == user_id,
                    DigestItem.mail_id.is_(None),
                    DigestItem.created_at <= now,
                )
                .values(mail_id=mail.id)
                .execution_options(synchronize_session=False)
            )
            after_commit.enqueue(
                s, "jobs.send_email.send", mail.id, job_id=f"mail:{mail.id}", queue="email"
            )
    except IntegrityError:
        return False  # another scheduler run made today's digest first
    return True
