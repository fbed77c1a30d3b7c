"""Sending queued mails on the delivery engine (workspace/delivery): claim
under the lease, build and send, settle with the retry policy. The row's
Message-ID is fixed before the first try, so a resend after a crash is
recognisably the same message."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select

from jobs import failures
from workspace.config import Settings
from workspace.db import db, utcnow
from workspace.delivery.channel import attempt
from workspace.delivery.lease import Lease, Settled
from workspace.delivery.policy import Outcome, RetryPolicy
from workspace.notifications import mailer
from workspace.notifications.compose import compose, mail_domain
from workspace.notifications.models import OutgoingMail

RETRY_WAITS = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
POLICY = RetryPolicy(RETRY_WAITS)
MAX_ATTEMPTS = POLICY.max_attempts
LEASE_SECONDS = 120
# Attempts are counted when a mail is claimed, so one that crashes its
# process each time also ends (`failed`) after MAX_ATTEMPTS.
LEASE = Lease(
    OutgoingMail.__table__,
    counter="attempts",
    count_on_claim=True,
    done_status="sent",
    done_at="sent_at",
    stamp_failed=False,
    error_column="error",
)
STATUS = {"done": "sent", "retry": "pending", "failed": "failed"}
log = logging.getLogger(__name__)


@dataclass
class Mail:
    mail_id: int
    name: str  # of the .eml file when there is no SMTP server


@dataclass
class Composed:
    mail: Mail
    message: EmailMessage | None  # None: nobody (allowed) to send it to


class MailChannel:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def build(self, item: Mail) -> Composed:
        with db.reading() as s:
            return Composed(item, compose(s, s.get(OutgoingMail, item.mail_id), self.settings))

    def send(self, request: Composed) -> Outcome:
        if request.message is None:
            return Outcome(
                "recipient is gone, inactive or may no longer read what it was about",
                permanent=True,
            )
        try:
            mailer.send(request.message, self.settings, request.mail.name)
        except Exception as err:  # recorded on the row; never crashes the worker
            return _failed(request.mail, err)
        return Outcome()


def _failed(mail: Mail, err: Exception) -> Outcome:
    """A failure a retry may fix (jobs/failures.py) is retried; any other,
    composing or sending, fails at once."""
    log.warning("mail %s: %s", mail.mail_id, failures.describe(err))
    error, permanent = failures.describe(err), not failures.is_transient(err)
    if permanent:
        error = f"could not be composed or was refused for good: {error}"[:500]
    return Outcome(error, permanent)


def send_mail(mail_id: int, settings: Settings) -> str:
    """One attempt. A mail that cannot be composed, or that the server
    refuses for good, fails at once (jobs/failures.py)."""
    now = utcnow()
    token = uuid.uuid4().hex
    with db.transaction() as s:
        # A job asked for this very mail: sent when claimed, not when due.
        if not LEASE.claim(s, [mail_id], token, LEASE_SECONDS, now, when_due=False):
            return "nothing to do"
        mail = s.get(OutgoingMail, mail_id)
        if POLICY.exhausted(mail.attempts):
            # Earlier attempts never came back to say how they ended.
            mail.status, mail.leased_until, mail.lease_token = "failed", None, None
            mail.error = (
                f"gave up after {MAX_ATTEMPTS} attempts that did not finish; "
                f"last error: {mail.error or 'none recorded'}"
            )[:500]
            return "failed: " + mail.error
        if mail.message_id is None:
            mail.message_id = make_msgid(f"jl{mail.id}", mail_domain(settings))
        item = Mail(mail_id, f"{now:%Y%m%dT%H%M%S}-{mail.kind}-{mail_id}")
        attempts = mail.attempts

    def unbuildable(err: Exception) -> tuple[Composed, Outcome]:
        return Composed(item, None), _failed(item, err)

    _request, answer = attempt(MailChannel(settings), item, unbuildable)
    now = utcnow()
    decision = POLICY.decide(attempts, answer, now)
    with db.transaction() as s:
        LEASE.settle(s, token, [Settled(mail_id, decision, attempts, answer.error)], now)
    status = STATUS[decision.state]
    return status if answer.succeeded else f"{status}: {answer.error}"


def due_mail_ids(limit: int = 2000) -> list[int]:
    now = utcnow()
    with db.reading() as s:
        return list(
            s.scalars(
                select(OutgoingMail.id).where(LEASE.due(now)).order_by(OutgoingMail.id).limit(limit)
            )
        )
