"""The dashboard's rows in a fixed number of queries, whatever the portfolio's size:
the SQL that chooses, counts and sorts them.

One statement reads each overseen workspace with its milestone counts, the
ids of its next open milestone and latest trial, and its statement, so
sorting and most filtering happen in the database. Only the rows of the page
then get the titles of that milestone and trial, and their funding
(`workspace.dashboard.rows`); the totals are in `workspace.dashboard.totals`.
The readable set stays in SQL (`readable_workspaces`): bound as 500 ids it
cost more to send and parse than the statement itself takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.dashboard.statement import agreed_subquery
from workspace.milestones.models import Milestone
from workspace.milestones.service import today
from workspace.organizations.models import Organization
from workspace.spaces.models import Workspace
from workspace.trials.models import Trial

# Rows per page, as lists in GitLab or Linear page; the totals cover every row.
DEFAULT_ROWS = 100
SORTS = (
    "title",
    "status",
    "enterprise",
    "university",
    "next_due",
    "overdue",
    "reached",
    "open",
    "latest_trial",
    "agreed",
)


@dataclass
class Filters:
    organization_id: int | None = None
    status: str | None = None
    overdue: bool | None = None
    q: str | None = None
    workspace_id: tuple[int, ...] | None = None  # a live page re-reading its rows
    sort: str = "title"
    order: str = "asc"


COUNTS = ("total", "reached", "open", "overdue", "missed")


def overdue_milestone(day: Any) -> Any:
    return and_(Milestone.status == "open", Milestone.due_date < day)


def count_columns(day: Any) -> list[Any]:
    """The milestone counts, labelled as COUNTS: per workspace or in total."""
    return [
        func.count(Milestone.id).label("total"),
        *(
            func.sum(case((Milestone.status == s, 1), else_=0)).label(s)
            for s in ("reached", "open")
        ),
        func.sum(case((overdue_milestone(day), 1), else_=0)).label("overdue"),
        func.sum(case((Milestone.status == "missed", 1), else_=0)).label("missed"),
    ]


def workspace_conditions(session: Session, user: User, f: Filters) -> list[Any]:
    """Which workspaces: those the user may read that pass the filters on
    the workspace itself. `q` and `overdue` are applied to the rows
    afterwards (`_matches`): in SQL the planner guessed a handful of rows for
    a substring or aggregate filter, chose nested loops over the grouped
    subqueries and took 0.5 to 7 s on a 500-workspace portfolio."""
    conditions = []
    readable = readable_workspaces(session, user)
    if readable is not None:
        conditions.append(Workspace.id.in_(readable))
    if f.workspace_id is not None:
        conditions.append(Workspace.id.in_(f.workspace_id))
    if f.organization_id is not None:
        conditions.append(
            or_(
                Workspace.enterprise_id == f.organization_id,
                Workspace.university_id == f.organization_id,
            )
        )
    if f.status:
        conditions.append(Workspace.status == f.status)
    return conditions


def chosen_workspaces(conditions: list[Any]) -> Select:
    return select(Workspace.id).where(*conditions)


def _milestone_counts(conditions: list[Any], day: Any) -> Any:
    return (
        select(Milestone.workspace_id.label("workspace_id"), *count_columns(day))
        .where(Milestone.workspace_id.in_(chosen_workspaces(conditions)))
        .group_by(Milestone.workspace_id)
        .subquery("counts")
    )


# The next open milestone and the latest trial are looked up per workspace
# through its index; ranking every trial of the portfolio with a window
# function took 25 of the statement's 45 ms. Their titles and states are read
# for the page's rows only: joining them here made PostgreSQL hash all 30,000
# trials and 12,000 milestones (22 of 54 ms) to use a few hundred.
def _next_milestone_id() -> Any:
    return (
        select(Milestone.id)
        .where(Milestone.workspace_id == Workspace.id, Milestone.status == "open")
        .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id)
        .limit(1)
        .correlate(Workspace)
        .scalar_subquery()
    )


def _next_due() -> Any:
    """The due date of `_next_milestone_id`'s milestone (None if it has none)."""
    return (
        select(func.min(Milestone.due_date))
        .where(Milestone.workspace_id == Workspace.id, Milestone.status == "open")
        .correlate(Workspace)
        .scalar_subquery()
    )


def _latest_trial_id() -> Any:
    return (
        select(Trial.id)
        .where(Trial.workspace_id == Workspace.id)
        .order_by(Trial.number.desc())
        .limit(1)
        .correlate(Workspace)
        .scalar_subquery()
    )


def _latest_trial_number() -> Any:
    return (
        select(func.max(Trial.number))
        .where(Trial.workspace_id == Workspace.id)
        .correlate(Workspace)
        .scalar_subquery()
    )


def _statement_agreed_expr(stmt_sq: Any) -> Any:
    if stmt_sq is None:
        return literal(None).label("agreed")
    return case(
        (stmt_sq.c.workspace_id.is_(None), None),
        (stmt_sq.c.agreed_version_id.is_not(None), True),
        else_=False,
    ).label("agreed")


def _statement(conditions: list[Any], day: Any, sort: str) -> tuple[Select, dict[str, Any]]:
    # The inner select names each workspace's next milestone and latest trial
    # by id, one index lookup each (two more when sorting by them). OFFSET 0
    # keeps PostgreSQL from merging it into the outer query, where it
    # evaluated those lookups again per join.
    sort_key = {"next_due": _next_due, "latest_trial": _latest_trial_number}.get(sort)
    ws = (
        select(
            Workspace.id,
            Workspace.title,
            Workspace.status,
            Workspace.updated_at,
            Workspace.enterprise_id,
            Workspace.university_id,
            _next_milestone_id().label("next_id"),
            _latest_trial_id().label("trial_id"),
            *([sort_key().label(sort)] if sort_key else []),
        )
        .where(*conditions)
        .offset(0)
        .subquery("ws")
    )
    ent, uni = aliased(Organization), aliased(Organization)
    counts = _milestone_counts(conditions, day)
    stmt_sq = agreed_subquery()
    agreed = _statement_agreed_expr(stmt_sq)
    stmt = (
        select(
            ws.c.id,
            ws.c.title,
            ws.c.status,
            ws.c.updated_at,
            ent.id.label("enterprise_id"),
            ent.name.label("enterprise_name"),
            uni.id.label("university_id"),
            uni.name.label("university_name"),
            *(func.coalesce(counts.c[k], 0).label(f"m_{k}") for k in COUNTS),
            ws.c.next_id,
            ws.c.trial_id,
            agreed,
        )
        .select_from(ws)
        .join(ent, ent.id == ws.c.enterprise_id)
        .join(uni, uni.id == ws.c.university_id)
        .outerjoin(counts, counts.c.workspace_id == ws.c.id)
    )
    if stmt_sq is not None:
        stmt = stmt.outerjoin(stmt_sq, stmt_sq.c.workspace_id == ws.c.id)
    columns = {
        "title": func.lower(ws.c.title),
        "status": ws.c.status,
        "enterprise": func.lower(ent.name),
        "university": func.lower(uni.name),
        "overdue": func.coalesce(counts.c.overdue, 0),
        "reached": func.coalesce(counts.c.reached, 0),
        "open": func.coalesce(counts.c.open, 0),
        "agreed": literal(None) if stmt_sq is None else stmt_sq.c.agreed_version_id,
        "id": ws.c.id,
        **({sort: ws.c[sort]} if sort_key else {}),
    }
    return stmt, columns


def _sorted(stmt: Select, cols: dict[str, Any], f: Filters) -> Select:
    key = cols[f.sort]
    ordered = key.desc() if f.order == "desc" else key.asc()
    return stmt.order_by(key.is_(None), ordered, cols["id"])


def row_filtered(f: Filters) -> bool:
    return bool(f.q) or f.overdue is not None


def _matches(r: Any, f: Filters) -> bool:
    if f.overdue is not None and (r.m_overdue > 0) != f.overdue:
        return False
    if f.q:
        needle = f.q.strip().lower()
        return any(
            needle in (text or "").lower()
            for text in (r.title, r.enterprise_name, r.university_name)
        )
    return True


def raw_rows(
    session: Session, user: User, filters: Filters, conditions: list[Any] | None = None
) -> list[Any]:
    """The SQL rows (not yet shaped) the user may read that pass the filters, sorted."""
    if conditions is None:
        conditions = workspace_conditions(session, user, filters)
    stmt, cols = _statement(conditions, today(), filters.sort)
    return [r for r in session.execute(_sorted(stmt, cols, filters)) if _matches(r, filters)]
