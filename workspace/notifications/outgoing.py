"""Sending queued mails: claim with a lease, send, mark sent; retry on SMTP
failure. The row's Message-ID is fixed before the first try, so a resend
after a crash is recognisably the same message."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from email.utils import make_msgid

from sqlalchemy import or_, select, update

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.notifications import mailer
from workspace.notifications.compose import compose, mail_domain
from workspace.notifications.models import OutgoingMail

RETRY_WAITS = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(RETRY_WAITS) + 1
LEASE = timedelta(seconds=120)
log = logging.getLogger(__name__)


def send_mail(mail_id: int, settings: Settings) -> str:
    """One attempt. Attempts are counted when the mail is claimed, so one
    that crashes its process also ends (`failed`) after MAX_ATTEMPTS; a mail
    that cannot be composed, or that the server refuses for good, fails at
    once (jobs/failures.py)."""
    now = utcnow()
    with db.transaction() as s:
        claimed = s.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id, OutgoingMail.status == "pending",
                   or_(OutgoingMail.leased_until.is_(None), OutgoingMail.leased_until < now))
            .values(leased_until=now + LEASE, attempts=OutgoingMail.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return "nothing to do"
        mail = s.get(OutgoingMail, mail_id)
        if mail.attempts > MAX_ATTEMPTS:
            # Earlier attempts never came back to say how they ended.
            mail.status, mail.leased_until = "failed", None
            mail.error = (f"gave up after {MAX_ATTEMPTS} attempts that did not finish; "
                          f"last error: {mail.error or 'none recorded'}")[:500]
            return "failed: " + mail.error
        if mail.message_id is None:
            mail.message_id = make_msgid(f"jl{mail.id}", mail_domain(settings))
        kind = mail.kind
    error, permanent = None, False
    try:
        with db.reading() as s:
            message = compose(s, s.get(OutgoingMail, mail_id), settings)
        if message is None:
            error, permanent = ("recipient is gone, inactive or may no longer read what it "
                                "was about"), True
        else:
            mailer.send(message, settings, f"{now:%Y%m%dT%H%M%S}-{kind}-{mail_id}")
    except Exception as err:  # recorded on the row; never crashes the worker
        log.warning("mail %s: %s", mail_id, failures.describe(err))
        error, permanent = failures.describe(err), not failures.is_transient(err)
        if permanent:
            error = f"could not be composed or was refused for good: {error}"[:500]
    with db.transaction() as s:
        mail = s.get(OutgoingMail, mail_id)
        mail.leased_until = None
        if error is None:
            mail.status, mail.sent_at, mail.error = "sent", utcnow(), None
        elif permanent or mail.attempts >= MAX_ATTEMPTS:
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
