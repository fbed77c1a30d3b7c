"""Access notices: "what user N may do just changed; re-check their open
connections now".

Services call `note_access_change` inside the transaction that ends a
session, revokes a token, disables a user or changes a portfolio. The notice
goes out on the bus (every web process hears it) only after that transaction
commits: a rolled-back change revokes nothing. Membership changes need no
notice: their `member.*` events reach every process through the event log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workspace.events import after_commit
from workspace.events.bus import bus

_KEY = "access-notices"

# Why a connection was re-checked; also the `reason` clients are told.
REASONS = (
    "logout",
    "ended_by_user",
    "password_changed",
    "user_disabled",
    "token_revoked",
    "portfolio_changed",
    "membership_changed",
    "replaced",
    "session_expired",
)


def note_access_change(session: Session, user_id: int, reason: str) -> None:
    if reason not in REASONS:
        raise ValueError(f"unknown access-change reason {reason!r}")
    after_commit.collect(session, _KEY, {"user_id": user_id, "reason": reason}, _publish)


def _publish(noted: list[dict[str, Any]]) -> None:
    notices: list[dict[str, Any]] = []
    for notice in noted:
        if notice not in notices:
            notices.append(notice)
    bus.publish_notices(notices)
