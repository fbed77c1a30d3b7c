"""Milestones of every overseen workspace on one time axis: where each was
due and when it was reached, so slippage shows at a glance.

The layout is computed here and drawn as SVG by the template: no JavaScript.

One milestone due years away must not squeeze every other one into a few
pixels (as a linear axis over every date did: decades wide, labels smeared).
As on GitLab's and Linear's roadmaps, the axis shows a window of at most
MAX_SPAN where most of the dates lie (today's included where it fits); a
date outside it is pinned to the edge it lies beyond, with an arrow and its
date written out. Tick spacing follows the span (months, quarters, years) so
labels never overlap, and each marker carries its title, shown beside it
where there is room and always on hover.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.milestones.models import Milestone
from workspace.milestones.service import today
from workspace.spaces.models import Workspace
from workspace.zones import zone

LABEL_WIDTH = 240
PLOT_WIDTH = 860
ROW_HEIGHT = 34
TOP = 30
PAD = timedelta(days=7)
MIN_SPAN = timedelta(days=30)
MAX_SPAN = timedelta(days=730)
MIN_TICK_GAP = 80.0  # px between tick labels ("Sep 2027" at 11 px is ~55 px)
TICK_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)  # months
MARK_LABEL_CHARS = 24
# Rough advance widths at the 10 px label size: enough to keep labels apart.
NARROW_PX, WIDE_PX = 6.0, 10.5


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
    beyond: str | None = None  # "before" | "after": due outside the window, pinned to that edge
    label: str = ""
    label_x: float | None = None  # None: no room beside the marker (the hover title remains)
    label_anchor: str = "start"


@dataclass
class Row:
    workspace_id: int
    title: str
    y: float
    marks: list[Mark] = field(default_factory=list)


def _window(dates: list[date], now: date) -> tuple[date, date]:
    """The densest stretch of at most MAX_SPAN (ties: the one holding today,
    then the one nearest to it), padded."""
    points = sorted(dates)
    best: tuple[tuple[int, int, int], date, date] | None = None
    j = 0
    for i, first in enumerate(points):
        j = max(j, i)
        while j + 1 < len(points) and points[j + 1] - first <= MAX_SPAN:
            j += 1
        last = points[j]
        holds_today = first <= now <= last
        distance = 0 if holds_today else min(abs((first - now).days), abs((last - now).days))
        score = (j - i + 1, int(holds_today), -distance)
        if best is None or score > best[0]:
            best = (score, first, last)
    assert best is not None  # `dates` always holds today
    start, end = best[1] - PAD, best[2] + PAD
    return start, max(end, start + MIN_SPAN)


def _kind(m: Milestone, reached: date | None, now: date) -> str:
    if m.status == "reached":
        return "late" if m.due_date and reached and reached > m.due_date else "on_time"
    if m.status == "missed":
        return "missed"
    return "overdue" if m.due_date and m.due_date < now else "open"


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


def _ticks(start: date, end: date, x: Any) -> tuple[list[tuple[float, date]], str]:
    """First-of-month ticks at the smallest step that keeps labels apart."""
    span_px = PLOT_WIDTH / max((end - start).days, 1)
    step = next((s for s in TICK_STEPS if s * 30.4 * span_px >= MIN_TICK_GAP), TICK_STEPS[-1])
    ticks = []
    m = _months(start) + 1
    m += (-m) % step  # quarters start in Jan/Apr/Jul/Oct, years in January
    while True:
        month = date(m // 12, m % 12 + 1, 1)
        if month > end:
            break
        ticks.append((x(month), month))
        m += step
    return ticks, ("yyyy" if step >= 12 else "MMM yyyy")


def text_width(text: str) -> float:
    return sum(WIDE_PX if unicodedata.east_asian_width(ch) in "WF" else NARROW_PX for ch in text)


def _short(title: str) -> str:
    return title if len(title) <= MARK_LABEL_CHARS else title[: MARK_LABEL_CHARS - 1] + "…"


def _place_labels(marks: list[Mark], right_edge: float) -> None:
    """Titles beside markers, left to right; one that would overlap the label
    before it is left to the hover title."""
    taken_until = LABEL_WIDTH
    for mark in sorted(marks, key=lambda m: m.due_x if m.due_x is not None else m.end_x or 0.0):
        at = mark.due_x if mark.due_x is not None else mark.end_x
        if at is None:
            continue
        mark.label = _short(mark.title)
        width = text_width(mark.label)
        left, anchor = at + 8, "start"
        if left + width > right_edge:  # near the right edge: write it leftwards
            left, anchor = at - 8 - width, "end"
        if left < taken_until + 6:
            continue
        mark.label_x = left if anchor == "start" else at - 8
        mark.label_anchor = anchor
        taken_until = left + width


def build(session: Session, user: User) -> dict[str, Any]:
    readable = readable_workspaces(session, user)
    stmt = (
        select(Workspace.id, Workspace.title, Milestone)
        .join(Milestone, Milestone.workspace_id == Workspace.id)
        .order_by(Workspace.title, Workspace.id, Milestone.due_date, Milestone.id)
    )
    if readable is not None:
        stmt = stmt.where(Workspace.id.in_(readable))
    records = session.execute(stmt).all()
    tz, now = zone(user.timezone), today()
    reached_on = {
        m.id: m.reached_at.astimezone(tz).date()
        for _w, _t, m in records
        if m.reached_at is not None
    }
    dates = [now] + [m.due_date for _w, _t, m in records if m.due_date] + list(reached_on.values())
    start, end = _window(dates, now)
    days = (end - start).days or 1

    def x(d: date | None) -> float | None:
        if d is None:
            return None
        clamped = min(max(d, start), end)
        return LABEL_WIDTH + PLOT_WIDTH * (clamped - start).days / days

    def beyond(d: date | None) -> str | None:
        if d is None or start <= d <= end:
            return None
        return "before" if d < start else "after"

    rows: list[Row] = []
    for wid, title, m in records:
        if not rows or rows[-1].workspace_id != wid:
            rows.append(Row(wid, title, TOP + ROW_HEIGHT * len(rows) + ROW_HEIGHT * 0.6))
        reached = reached_on.get(m.id)
        kind = _kind(m, reached, now)
        end_x = x(reached) if reached else x(now) if kind == "overdue" else None
        rows[-1].marks.append(
            Mark(
                m.id,
                m.title,
                m.status,
                x(m.due_date),
                end_x,
                kind,
                m.due_date,
                reached,
                beyond(m.due_date),
            )
        )
    right_edge = LABEL_WIDTH + PLOT_WIDTH + 16
    for row in rows:
        _place_labels(row.marks, right_edge)
    ticks, tick_format = _ticks(start, end, x)
    return {
        "rows": rows,
        "ticks": ticks,
        "tick_format": tick_format,
        "today_x": x(now) if start <= now <= end else None,
        "start": start,
        "end": end,
        "outside": sum(1 for r in rows for mk in r.marks if mk.beyond),
        "width": LABEL_WIDTH + PLOT_WIDTH + 20,
        "height": TOP + ROW_HEIGHT * max(len(rows), 1) + 10,
        "top": TOP,
        "label_width": LABEL_WIDTH,
        "row_height": ROW_HEIGHT,
    }
