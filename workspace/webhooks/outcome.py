"""What one answer means for a delivery: the attempt row, success or the next
retry (exponential backoff from the schedule, with jitter, then `failed`)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from workspace.config import Settings
from workspace.webhooks import formats, transport
from workspace.webhooks.dispatch import wake_after_commit
from workspace.webhooks.models import Delivery, DeliveryAttempt


def judge(fmt: str, result: transport.Result) -> tuple[bool, str | None]:
    """(succeeded, error): any 2xx is success, except a bot's error code."""
    error = result.error
    if error is None and result.ok and fmt in formats.BOT_FORMATS:
        error = formats.bot_error(fmt, result.body)
    succeeded = result.ok and error is None
    if error is None and not succeeded:
        error = f"HTTP {result.status}"
    return succeeded, error


def attempt_row(delivery: Delivery, request: formats.Request, result: transport.Result,
                error: str | None, succeeded: bool, now: datetime, batch_size: int = 1,
                batched_with: int | None = None) -> DeliveryAttempt:
    body = request.body.decode("utf-8", "replace")
    if batched_with is not None:
        body = json.dumps({"batched_with_delivery": batched_with})
    return DeliveryAttempt(
        delivery_id=delivery.id, endpoint_id=delivery.endpoint_id, at=now,
        request_headers=dict(request.headers), request_body=body[: transport.EXCERPT],
        response_status=result.status, response_body=result.body[: transport.EXCERPT],
        duration_ms=result.duration_ms, error=error, succeeded=succeeded, batch_size=batch_size,
    )


def settle(session: Session, delivery: Delivery, succeeded: bool, settings: Settings,
           now: datetime) -> None:
    """Release the lease and move the delivery on; the caller checked it still
    holds the lease."""
    delivery.leased_until = None
    delivery.lease_token = None
    if succeeded:
        delivery.status, delivery.completed_at = "succeeded", now
    else:
        schedule_retry(session, delivery, settings, now)


def next_try(attempts_in_round: int, settings: Settings,
             now: datetime) -> tuple[int, datetime | None, float | None]:
    """After a failed attempt: (attempts in round, next attempt time, wait);
    no next time means the round is over and the delivery `failed`."""
    attempts = attempts_in_round + 1
    schedule = settings.webhook_retry_schedule
    if attempts > len(schedule):
        return attempts, None, None
    # Jitter spreads the retries of many deliveries that failed together.
    wait = schedule[attempts - 1] * random.uniform(1.0, 1.2)
    return attempts, now + timedelta(seconds=wait), wait


def schedule_retry(session: Session, delivery: Delivery, settings: Settings,
                   now: datetime) -> None:
    attempts, at, wait = next_try(delivery.attempts_in_round, settings, now)
    delivery.attempts_in_round = attempts
    if at is None:
        delivery.status, delivery.completed_at = "failed", now
        return
    delivery.next_attempt_at = at
    wake_after_commit(session, delay=wait)
