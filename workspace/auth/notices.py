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

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_PENDING = "jointlab_access_notices"

# Why a connection was re-checked; also the `reason` clients are told.
REASONS = ("logout", "ended_by_user", "password_changed", "user_disabled", "token_revoked",
           "portfolio_changed", "membership_changed", "replaced", "session_expired")


def note_access_change(session: Session, user_id: int, reason: str) -> None:
    if reason not in REASONS:
        raise ValueError(f"unknown access-change reason {reason!r}")
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    notice = {"user_id": user_id, "reason": reason}
    if notice not in pending:
        pending.append(notice)


@sa_event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    notices = session.info.pop(_PENDING, None)
    if notices:
        from workspace.events.bus import bus

        bus.publish_notices(notices)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
