"""What a request changed in the matrix's world: a fingerprint of every row
a request could change, and the events people caused. A refused call must
leave both as they were.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import cast, func, select
from sqlalchemy.types import JSON, LargeBinary, String

# Written by background consumers and jobs, not by the request under test.
BACKGROUND_TABLES = {
    "consumer_cursors",
    "outgoing_mails",
    "digest_items",
    "evidence_packs",
    "webhook_delivery_attempts",
    "document_snapshots",
    "trial_metric_stats",
    "weekly_summaries",
    "events",
    "alembic_version",
}
BACKGROUND_COLUMNS = {
    "webhook_endpoints": {"failing_since", "last_success_at"},
    "webhook_deliveries": {
        "status",
        "attempts_in_round",
        "next_attempt_at",
        "leased_until",
        "lease_token",
        "completed_at",
    },
    "export_tasks": {
        "status",
        "done",
        "total",
        "content",
        "filename",
        "error",
        "finished_at",
        "attempts",
        "updated_at",
    },
    "api_tokens": {"last_used_at"},
    "milestones": {"due_soon_emitted_at", "overdue_emitted_at"},
    "files": {"thumbnail"},
}


class Snapshots:
    """Mixed into World: `ids` holds the seeded rows' ids."""

    ids: dict[str, Any]

    def fingerprint(self) -> dict[str, list[tuple]]:
        """Every row a request could change, background work left out."""
        from workspace.db import db

        with db.reading() as s:
            return {
                name: [tuple(r) for r in s.execute(stmt)]
                for name, stmt in self._fingerprint_queries().items()
            }

    @functools.cache  # noqa: B019  (one world per module; built once, run ~700 times)
    def _fingerprint_queries(self) -> dict[str, Any]:
        from workspace import models  # noqa: F401  (every table in the metadata)
        from workspace.db import Base

        queries = {}
        for table in Base.metadata.sorted_tables:
            if table.name not in BACKGROUND_TABLES:
                skip = BACKGROUND_COLUMNS.get(table.name, set())
                cols = [_comparable(c) for c in table.columns if c.name not in skip]
                queries[table.name] = select(*cols).order_by(*table.primary_key.columns)
        # The seeded delivery is finished and no job touches it: only a
        # redelivery would.
        delivery = Base.metadata.tables["webhook_deliveries"]
        queries["the seeded delivery"] = select(delivery).where(
            delivery.c.id == self.ids["delivery"]
        )
        return queries

    def last_event_id(self) -> int:
        from workspace.db import db
        from workspace.events.models import Event

        with db.reading() as s:
            return s.scalar(select(func.max(Event.id))) or 0

    def events_by_people_after(self, event_id: int) -> list[tuple[str, int]]:
        """Events someone caused (background work acts as nobody)."""
        from workspace.db import db
        from workspace.events.models import Event

        with db.reading() as s:
            return [
                tuple(r)
                for r in s.execute(
                    select(Event.type, Event.actor_id).where(
                        Event.id > event_id, Event.actor_id.is_not(None)
                    )
                )
            ]


def _comparable(column: Any) -> Any:
    if isinstance(column.type, LargeBinary):
        return func.length(column)
    if isinstance(column.type, JSON):
        return cast(column, String)
    return column
