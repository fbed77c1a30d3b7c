"""The periodic due-date check: `milestone.due_soon` and `milestone.overdue`,
each said once per milestone and due date (the time it was said is stored)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workspace.db import db, utcnow
from workspace.events import types as ev
from workspace.events.log import record_event
from workspace.milestones.models import Milestone
from workspace.milestones.service import DUE_SOON_DAYS, _event_payload, today

CHECK_EVERY_SECONDS = 15 * 60


def check_due_dates() -> dict[str, Any]:
    """Idempotent: a second run right after the first finds nothing to say."""
    now, day = utcnow(), today()
    counts = {"due_soon": 0, "overdue": 0}
    with db.transaction() as s:
        # Locked so an overlapping run (run-once during a tick) waits and
        # then sees the stamps this one wrote.
        rows = s.scalars(
            select(Milestone)
            .where(
                Milestone.status == "open",
                Milestone.due_date.is_not(None),
                Milestone.due_date <= day + timedelta(DUE_SOON_DAYS),
                (Milestone.due_soon_emitted_at.is_(None) | Milestone.overdue_emitted_at.is_(None)),
            )
            .order_by(Milestone.id)
            .with_for_update()
        )
        for m in rows:
            if m.due_date < day:
                if m.overdue_emitted_at is None:
                    m.overdue_emitted_at = now
                    # Past due: "due soon" would be news from the past.
                    m.due_soon_emitted_at = m.due_soon_emitted_at or now
                    record_event(
                        s,
                        m.workspace_id,
                        ev.MILESTONE_OVERDUE,
                        {"milestone": _event_payload(m), "days_late": (day - m.due_date).days},
                    )
                    counts["overdue"] += 1
            elif m.due_soon_emitted_at is None:
                m.due_soon_emitted_at = now
                record_event(
                    s,
                    m.workspace_id,
                    ev.MILESTONE_DUE_SOON,
                    {"milestone": _event_payload(m), "days_left": (m.due_date - day).days},
                )
                counts["due_soon"] += 1
    return counts
