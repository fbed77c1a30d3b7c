"""Which failures a retry can fix.

Every job that sends or builds something (a mail, a webhook delivery, an
export, an evidence pack) keeps its state on a row and ends in one of two
ways: done, or `failed` with the error on the row, visibly (its status, the
API, `/healthz`, the page). A transient failure (the database, Redis or the
mail server unreachable, a timeout, a 4xx SMTP answer) is retried on the
job's schedule and ends `failed` only after its last attempt; anything else
(composing the message raised, the data cannot be written in the output, a
permanent 5xx SMTP answer) cannot be fixed by trying again and ends `failed`
at once. A job that crashes its process is counted too: attempts are counted
when a job claims its row, so a row that keeps killing its worker also ends.
"""

from __future__ import annotations

import smtplib

import redis
from sqlalchemy import exc as sa_exc

# SMTP answers that a later try may get past: the sender refused (a setting
# the operator fixes) and authentication (the same).
_SMTP_OPERATOR = (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError)


def is_transient(err: BaseException) -> bool:
    if isinstance(
        err,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError,
    ):
        return True  # the database went away, not the data
    if isinstance(err, _SMTP_OPERATOR):
        return True
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in err.recipients.values()]
        return any(400 <= code < 500 for code in codes)
    if isinstance(err, smtplib.SMTPResponseException):
        return not 500 <= err.smtp_code < 600
    if isinstance(err, smtplib.SMTPException):
        return True  # disconnected, no answer: the server, not the message
    if isinstance(err, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return True
    # Connection refused, reset, timed out, DNS: the network.
    return isinstance(err, ConnectionError | TimeoutError | OSError) and not isinstance(
        err, FileNotFoundError | PermissionError | IsADirectoryError
    )


def describe(err: BaseException) -> str:
    """The error as stored on the row (and shown to people): short, one line."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first}"[:500] if first else type(err).__name__
