"""Sending queued mails: claim with a lease, send, mark sent; retry on SMTP
failure. The row's Message-ID is fixed before the first try, so a resend
after a crash is recognisably the same message."""

from __future__ import annotations

import random
from datetime import timedelta
from email.utils import make_msgid

from sqlalchemy import or_, select, update

from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.notifications import mailer
from workspace.notifications.compose import compose, mail_domain
from workspace.notifications.models import OutgoingMail

RETRY_WAITS = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
LEASE = timedelta(seconds=120)


def send_mail(mail_id: int, settings: Settings) -> str:
    now = utcnow()
    with db.transaction() as s:
        claimed = s.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id, OutgoingMail.status == "pending",
                   or_(OutgoingMail.leased_until.is_(None), OutgoingMail.leased_until < now))
            .values(leased_until=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return "nothing to do"
        mail = s.get(OutgoingMail, mail_id)
        if mail.message_id is None:
            mail.message_id = make_msgid(f"jl{mail.id}", mail_domain(settings))
    with db.reading() as s:
        mail = s.get(OutgoingMail, mail_id)
        message = compose(s, mail, settings)
    error = None
    if message is not None:
        try:
            mailer.send(message, settings, f"{now:%Y%m%dT%H%M%S}-{mail.kind}-{mail_id}")
        except Exception as err:  # SMTP trouble is retried, never crashes the worker
            error = f"{type(err).__name__}: {err}"[:500]
    with db.transaction() as s:
        mail = s.get(OutgoingMail, mail_id)
        mail.leased_until = None
        mail.attempts += 1
        if message is None:
            mail.status, mail.error = "failed", ("recipient is gone, inactive or may no "
                                                 "longer read what it was about")
        elif error is None:
            mail.status, mail.sent_at, mail.error = "sent", utcnow(), None
        elif mail.attempts > len(RETRY_WAITS):
            mail.status, mail.error = "failed", error
        else:
            mail.error = error
            mail.next_attempt_at = utcnow() + timedelta(
                seconds=RETRY_WAITS[mail.attempts - 1] * random.uniform(1.0, 1.2))
        return mail.status if error is None else f"{mail.status}: {error}"


def due_mail_ids(limit: int = 2000) -> list[int]:
    now = utcnow()
    with db.reading() as s:
        return list(s.scalars(select(OutgoingMail.id).where(
            OutgoingMail.status == "pending", OutgoingMail.next_attempt_at <= now,
            or_(OutgoingMail.leased_until.is_(None), OutgoingMail.leased_until < now))
            .order_by(OutgoingMail.id).limit(limit)))
