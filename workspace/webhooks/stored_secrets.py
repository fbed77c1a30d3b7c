"""The endpoints' stored secrets as the database holds them, sealed or not
(workspace/webhooks/secret_box.py seals and unseals them)."""

from __future__ import annotations

from sqlalchemy import String, cast, select, update
from sqlalchemy.orm import Session

from workspace.webhooks import secret_box
from workspace.webhooks.models import WebhookEndpoint


def seal_legacy(session: Session) -> int:
    """Seal secrets stored in clear by earlier versions; returns how many.
    Runs at start-up; safe to run in several processes at once (each write
    applies only if the row still holds the clear value it read)."""
    table = WebhookEndpoint.__table__
    sealed = 0
    for name in ("secret", "previous_secret"):
        raw = cast(table.c[name], String)  # the stored text, not unsealed
        rows = session.execute(
            select(table.c.id, raw).where(
                table.c[name].is_not(None), ~raw.startswith(secret_box.PREFIX)
            )
        ).all()
        for endpoint_id, clear in rows:
            sealed += session.execute(
                update(table).where(table.c.id == endpoint_id, raw == clear).values({name: clear})
            ).rowcount
    return sealed


def is_unreadable(session: Session, endpoint_id: int) -> bool:
    """Is a stored secret of this endpoint sealed under another SECRET_KEY?"""
    table = WebhookEndpoint.__table__
    stored = session.execute(
        select(cast(table.c.secret, String)).where(table.c.id == endpoint_id)
    ).scalar()
    if stored is None or not stored.startswith(secret_box.PREFIX):
        return False
    return not secret_box.opens(stored)
