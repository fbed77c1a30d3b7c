"""Milestones of every overseen workspace on one time axis: where each was
due and when it was reached, so slippage shows at a glance.

The layout is computed here and drawn as SVG by the template: no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.dashboard.feed_items import zone
from workspace.milestones.models import Milestone
from workspace.milestones.service import today
from workspace.workspaces.models import Workspace

LABEL_WIDTH = 240
PLOT_WIDTH = 860
ROW_HEIGHT = 22
TOP = 30


@dataclass
class Mark:
    milestone_id: int
    title: str
    status: str
    due_x: float | None
    end_x: float | None  # reached (or today, if overdue)
    kind: str  # on_time | late | overdue | open | missed
    due: date | None
    reached: date | None


@dataclass
class Row:
    workspace_id: int
    title: str
    y: float
    marks: list[Mark] = field(default_factory=list)


def _span(dates: list[date]) -> tuple[date, date]:
    start, end = min(dates), max(dates)
    start, end = start - timedelta(days=7), end + timedelta(days=7)
    return start, max(end, start + timedelta(days=30))


def _kind(m: Milestone, reached: date | None, now: date) -> str:
    if m.status == "reached":
        return "late" if m.due_date and reached and reached > m.due_date else "on_time"
    if m.status == "missed":
        return "missed"
    return "overdue" if m.due_date and m.due_date < now else "open"


def build(session: Session, user: User) -> dict[str, Any]:
    readable = readable_workspaces(session, user)
    stmt = (select(Workspace.id, Workspace.title, Milestone)
            .join(Milestone, Milestone.workspace_id == Workspace.id)
            .order_by(Workspace.title, Workspace.id, Milestone.due_date, Milestone.id))
    if readable is not None:
        stmt = stmt.where(Workspace.id.in_(readable))
    records = session.execute(stmt).all()
    tz, now = zone(user.timezone), today()
    reached_on = {m.id: m.reached_at.astimezone(tz).date() for _w, _t, m in records
                  if m.reached_at is not None}
    dates = [now] + [m.due_date for _w, _t, m in records if m.due_date] + list(reached_on.values())
    start, end = _span(dates)
    days = (end - start).days or 1

    def x(d: date | None) -> float | None:
        return None if d is None else LABEL_WIDTH + PLOT_WIDTH * (d - start).days / days

    rows: list[Row] = []
    for wid, title, m in records:
        if not rows or rows[-1].workspace_id != wid:
            rows.append(Row(wid, title, TOP + ROW_HEIGHT * len(rows) + ROW_HEIGHT / 2))
        reached = reached_on.get(m.id)
        kind = _kind(m, reached, now)
        end_x = x(reached) if reached else x(now) if kind == "overdue" else None
        rows[-1].marks.append(Mark(m.id, m.title, m.status, x(m.due_date), end_x, kind,
                                   m.due_date, reached))
    ticks, month = [], date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            ticks.append((x(month), month))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {"rows": rows, "ticks": ticks, "today_x": x(now), "width": LABEL_WIDTH + PLOT_WIDTH
            + 20, "height": TOP + ROW_HEIGHT * max(len(rows), 1) + 10, "top": TOP,
            "label_width": LABEL_WIDTH, "row_height": ROW_HEIGHT}
