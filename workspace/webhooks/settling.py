"""What one HTTP answer means for a delivery: success or not (`judge`), the
attempt row, and the engine's decision (workspace/delivery/policy.py) applied
under the lease, with a drain woken for the retry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workspace.delivery.lease import Settled
from workspace.delivery.policy import Outcome, RetryPolicy
from workspace.events import after_commit
from workspace.webhooks import formats, transport
from workspace.webhooks.leases import LEASE


def judge(fmt: str, result: transport.Result) -> tuple[bool, str | None]:
    """(succeeded, error): any 2xx is success, except a bot's error code."""
    error = result.error
    if error is None and result.ok and fmt in formats.BOT_FORMATS:
        error = formats.bot_error(fmt, result.body)
    succeeded = result.ok and error is None
    if error is None and not succeeded:
        error = f"HTTP {result.status}"
    return succeeded, error


def outcome(fmt: str, result: transport.Result) -> Outcome:
    _succeeded, error = judge(fmt, result)
    return Outcome(error, permanent=result.permanent)


def attempt_values(
    delivery_id: int,
    endpoint_id: int,
    request: formats.Request,
    result: transport.Result,
    error: str | None,
    succeeded: bool,
    now: datetime,
    batch_size: int = 1,
    batched_with: int | None = None,
) -> dict[str, Any]:
    """One `webhook_delivery_attempts` row, for every format."""
    body = request.body.decode("utf-8", "replace")
    if batched_with is not None:
        body = json.dumps({"batched_with_delivery": batched_with})
    return {
        "delivery_id": delivery_id,
        "endpoint_id": endpoint_id,
        "at": now,
        "request_headers": dict(request.headers),
        "request_body": body[: transport.EXCERPT],
        "response_status": result.status,
        "response_body": result.body[: transport.EXCERPT],
        "duration_ms": result.duration_ms,
        "error": error,
        "succeeded": succeeded,
        "batch_size": batch_size,
    }


def settled(
    delivery_id: int, attempts_in_round: int, answer: Outcome, policy: RetryPolicy, now: datetime
) -> Settled:
    """The decision for a delivery that had `attempts_in_round` failed
    attempts before this one."""
    attempts = attempts_in_round if answer.succeeded else attempts_in_round + 1
    return Settled(delivery_id, policy.decide(attempts, answer, now), attempts, answer.error)


def apply(s: Session, token: str, rows: Sequence[Settled], now: datetime) -> None:
    """Settle under the lease; each retry leaves a drain woken for its time."""
    LEASE.settle(s, token, rows, now)
    for row in rows:
        if row.decision.wait is not None:
            after_commit.wake(s, delay=row.decision.wait)
