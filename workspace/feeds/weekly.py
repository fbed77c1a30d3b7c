"""The weekly summary mail to each program manager: milestones reached,
milestones overdue and statements agreed in the last seven days.

Sent once per manager and ISO week (in the manager's time zone): a row in
`weekly_summaries` claims the week in the same transaction that reads the
summary, so two schedulers or a rerun cannot send it twice. A week with
nothing to report is claimed without a mail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, has_app_context, render_template
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs import failures
from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.db import db, utcnow
from workspace.events.models import Event
from workspace.i18n import gettext as _
from workspace.i18n import in_locale
from workspace.milestones.models import Milestone
from workspace.milestones.service import today
from workspace.notifications.mailer import send, sender
from workspace.portfolios.models import WeeklySummary
from workspace.safe_text import for_mail_body
from workspace.spaces.models import Workspace
from workspace.zones import zone

log = logging.getLogger(__name__)


def week_of(user: User, now: datetime) -> str:
    year, week, _day = now.astimezone(zone(user.timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def summarise(session: Session, user: User, now: datetime) -> dict[str, Any]:
    readable = readable_workspaces(session, user)
    since = now - timedelta(days=7)

    def scoped(stmt: Any, column: Any) -> Any:
        return stmt if readable is None else stmt.where(column.in_(readable))

    events = session.execute(
        scoped(
            select(Event, Workspace.title)
            .join(Workspace, Workspace.id == Event.workspace_id)
            .where(
                Event.occurred_at >= since,
                Event.type.in_(("milestone.reached", "statement.agreed")),
            )
            .order_by(Event.id),
            Event.workspace_id,
        )
    ).all()
    overdue = session.execute(
        scoped(
            select(Milestone, Workspace.title)
            .join(Workspace, Workspace.id == Milestone.workspace_id)
            .where(Milestone.status == "open", Milestone.due_date < today())
            .order_by(Milestone.due_date, Milestone.id),
            Milestone.workspace_id,
        )
    ).all()
    reached = [
        (t, e.data.get("milestone", {}).get("title", ""), e.occurred_at)
        for e, t in events
        if e.type == "milestone.reached"
    ]
    agreed = [(t, e.occurred_at) for e, t in events if e.type == "statement.agreed"]
    return {
        "reached": reached,
        "agreed": agreed,
        "overdue": [(t, m.title, m.due_date, m.workspace_id) for m, t in overdue],
    }


def _message(user: User, summary: dict[str, Any], week: str) -> EmailMessage:
    settings = current_app.extensions["jointlab.settings"]
    tz = zone(user.timezone)
    context = {
        "user": user,
        "week": week,
        "public_url": settings.public_url.rstrip("/"),
        "tz": tz,
        **summary,
    }
    msg = EmailMessage()
    msg["Subject"] = _(
        "JointLab week %(week)s: %(reached)d reached, %(overdue)d overdue, %(agreed)d agreed",
        week=week,
        reached=len(summary["reached"]),
        overdue=len(summary["overdue"]),
        agreed=len(summary["agreed"]),
    )
    msg["From"] = sender(settings)
    msg["To"] = user.email
    msg["Message-ID"] = make_msgid("weekly")
    msg.set_content(for_mail_body(render_template("dashboard/weekly_email.txt", **context)))
    msg.add_alternative(
        for_mail_body(render_template("dashboard/weekly_email.html", **context)), subtype="html"
    )
    return msg


def send_weekly_summary(manager_id: int, now: datetime | None = None) -> bool:
    """Send this week's summary to one manager unless it was sent; True if sent."""
    now = now or utcnow()
    settings = current_app.extensions["jointlab.settings"]
    try:
        with db.transaction() as s:
            user = s.get(User, manager_id)
            if user is None or not user.active or not user.is_manager:
                return False
            week = week_of(user, now)
            if s.get(WeeklySummary, (user.id, week)) is not None:
                return False
            s.add(WeeklySummary(manager_id=user.id, week=week, sent_at=now))
            s.flush()
            summary = summarise(s, user, now)
    except IntegrityError:
        return False  # another run claimed the week first
    if not any(summary.values()):
        return False
    try:
        with in_locale(user.locale):
            send(_message(user, summary, week), settings, f"weekly-{user.id}-{week}")
    except Exception as err:
        if not failures.is_transient(err):
            # Composing it, or the server's final refusal: the next run would
            # fail the same way, every hour of the week. The week stays taken.
            log.error(
                "weekly summary to manager %s failed for good: %s",
                manager_id,
                failures.describe(err),
            )
            return False
        log.exception("weekly summary to manager %s failed; retrying next run", manager_id)
        with db.transaction() as s:  # give the week back so the next run retries
            s.execute(
                delete(WeeklySummary).where(
                    WeeklySummary.manager_id == manager_id, WeeklySummary.week == week
                )
            )
        return False
    return True


def send_weekly_summaries(now: datetime | None = None) -> int:
    """The periodic job: every active manager, once per week."""
    if not has_app_context():  # mails need templates and settings
        log.warning("weekly summaries need an app context; skipped")
        return 0
    with db.reading() as s:
        ids = list(s.scalars(select(User.id).where(User.role == "manager", User.active)))
    return sum(1 for manager_id in ids if send_weekly_summary(manager_id, now))
