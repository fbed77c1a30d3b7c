"""The dashboard's rows in a fixed number of queries, whatever the portfolio's size.

One statement reads each overseen workspace with its milestone counts, the
ids of its next open milestone and latest trial, and its statement, so
sorting and most filtering happen in the database. Only the rows of the page
then get the titles of that milestone and trial, and their funding.
The readable set stays in SQL (`readable_workspaces`): bound as 500 ids it
cost more to send and parse than the statement itself takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from workspace.auth.access import readable_workspaces
from workspace.auth.models import User
from workspace.dashboard.statement import agreed_subquery
from workspace.evidence.models import MilestoneTranche
from workspace.milestones.models import Milestone
from workspace.milestones.service import today
from workspace.organizations.models import Organization
from workspace.trials.models import Trial
from workspace.workspaces.models import Workspace

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


def _overdue(day: Any) -> Any:
    return and_(Milestone.status == "open", Milestone.due_date < day)


def _count_columns(day: Any) -> list[Any]:
    """The milestone counts, labelled as COUNTS: per workspace or in total."""
    return [
        func.count(Milestone.id).label("total"),
        *(
            func.sum(case((Milestone.status == s, 1), else_=0)).label(s)
            for s in ("reached", "open")
        ),
        func.sum(case((_overdue(day), 1), else_=0)).label("overdue"),
        func.sum(case((Milestone.status == "missed", 1), else_=0)).label("missed"),
    ]


def _conditions(session: Session, user: User, f: Filters) -> list[Any]:
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


def _chosen(conditions: list[Any]) -> Select:
    return select(Workspace.id).where(*conditions)


def _milestone_counts(conditions: list[Any], day: Any) -> Any:
    return (
        select(Milestone.workspace_id.label("workspace_id"), *_count_columns(day))
        .where(Milestone.workspace_id.in_(_chosen(conditions)))
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


def _row_filtered(f: Filters) -> bool:
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


def _funding(session: Session, workspace_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not workspace_ids:
        return {}
    rows = session.execute(
        select(
            Milestone.workspace_id,
            MilestoneTranche.currency,
            func.sum(MilestoneTranche.amount),
            func.sum(case((Milestone.status == "reached", MilestoneTranche.amount), else_=0)),
        )
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspace_ids))
        .group_by(Milestone.workspace_id, MilestoneTranche.currency)
        .order_by(MilestoneTranche.currency)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for wid, currency, planned, released in rows:
        out.setdefault(wid, []).append(
            {"currency": currency, "planned": _money(planned), "released": _money(released)}
        )
    return out


def _details(session: Session, raw: list[Any]) -> tuple[dict[int, Any], dict[int, Any]]:
    """The next milestones and latest trials of these rows, by id."""
    milestone_ids = [r.next_id for r in raw if r.next_id is not None]
    trial_ids = [r.trial_id for r in raw if r.trial_id is not None]
    milestones = (
        {
            m.id: m
            for m in session.execute(
                select(Milestone.id, Milestone.title, Milestone.due_date).where(
                    Milestone.id.in_(milestone_ids)
                )
            )
        }
        if milestone_ids
        else {}
    )
    trials = (
        {
            t.id: t
            for t in session.execute(
                select(Trial.id, Trial.number, Trial.title, Trial.status, Trial.outcome).where(
                    Trial.id.in_(trial_ids)
                )
            )
        }
        if trial_ids
        else {}
    )
    return milestones, trials


def _shaped(session: Session, raw: list[Any]) -> list[dict[str, Any]]:
    funding = _funding(session, [r.id for r in raw])
    milestones, trials = _details(session, raw)
    return [
        _row(r, funding.get(r.id, []), milestones.get(r.next_id), trials.get(r.trial_id))
        for r in raw
    ]


def _money(value: Any) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _row(r: Any, funding: list[dict[str, Any]], nxt: Any, trial: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "status": r.status,
        "enterprise": {"id": r.enterprise_id, "name": r.enterprise_name},
        "university": {"id": r.university_id, "name": r.university_name},
        "statement_agreed": None if r.agreed is None else bool(r.agreed),
        "latest_trial": None
        if trial is None
        else {
            "id": trial.id,
            "number": trial.number,
            "title": trial.title,
            "status": trial.status,
            "outcome": trial.outcome or "pending",
        },
        "next_milestone": None
        if nxt is None
        else {"id": nxt.id, "title": nxt.title, "due_date": nxt.due_date},
        "milestones": {k: int(getattr(r, f"m_{k}")) for k in COUNTS},
        "funding": funding,
    }


def _raw_rows(
    session: Session, user: User, filters: Filters, conditions: list[Any] | None = None
) -> list[Any]:
    """The SQL rows (not yet shaped) the user may read that pass the filters, sorted."""
    if conditions is None:
        conditions = _conditions(session, user, filters)
    stmt, cols = _statement(conditions, today(), filters.sort)
    return [r for r in session.execute(_sorted(stmt, cols, filters)) if _matches(r, filters)]


def dashboard_rows(session: Session, user: User, filters: Filters) -> list[dict[str, Any]]:
    """Every row, shaped (exports)."""
    return _shaped(session, _raw_rows(session, user, filters))


def dashboard_page(
    session: Session, user: User, filters: Filters, offset: int, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """One page of shaped rows, the totals over every matching row, and
    whether more follow. Only the page's rows are shaped and carry funding."""
    conditions = _conditions(session, user, filters)
    raw = _raw_rows(session, user, filters, conditions)
    rows = _shaped(session, raw[offset : offset + limit])
    # Funding totals cover the same workspaces as the rows: named by SQL
    # unless `_matches` dropped some of them.
    scope = [r.id for r in raw] if _row_filtered(filters) else _chosen(conditions)
    return rows, _totals_of(session, raw, scope), offset + limit < len(raw)


def _totals_of(session: Session, raw: list[Any], scope: Any) -> dict[str, Any]:
    return {
        "workspaces": len(raw),
        "with_overdue": sum(1 for r in raw if r.m_overdue),
        "milestones": {k: sum(int(getattr(r, f"m_{k}")) for r in raw) for k in COUNTS},
        "agreed": sum(1 for r in raw if r.agreed),
        "funding": _funding_totals(session, scope) if raw else [],
    }


def _funding_totals(session: Session, workspaces: Any) -> list[dict[str, str]]:
    """Funding per currency over `workspaces`: ids, or a SELECT of them."""
    money = session.execute(
        select(
            MilestoneTranche.currency,
            func.sum(MilestoneTranche.amount),
            func.sum(case((Milestone.status == "reached", MilestoneTranche.amount), else_=0)),
        )
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspaces))
        .group_by(MilestoneTranche.currency)
        .order_by(MilestoneTranche.currency)
    )
    return [{"currency": c, "planned": _money(p), "released": _money(r)} for c, p, r in money]


def dashboard_totals(session: Session, user: User, filters: Filters) -> dict[str, Any]:
    """The totals of `dashboard_page`, from aggregates alone.

    Every open dashboard refreshes its totals after each event it sees; with
    hundreds of managers watching, reading every row each time would make
    the server's work grow with managers × events × portfolio size."""
    if _row_filtered(filters):
        raw = _raw_rows(session, user, filters)
        return _totals_of(session, raw, [r.id for r in raw])
    chosen = _chosen(_conditions(session, user, filters))
    day = today()
    workspaces = session.scalar(select(func.count()).select_from(chosen.subquery()))
    m = session.execute(
        select(
            *_count_columns(day),
            func.count(func.distinct(case((_overdue(day), Milestone.workspace_id)))),
        ).where(Milestone.workspace_id.in_(chosen))
    ).one()
    statements = agreed_subquery()
    agreed = (
        0
        if statements is None
        else session.scalar(
            select(func.count())
            .select_from(statements)
            .where(
                statements.c.workspace_id.in_(chosen), statements.c.agreed_version_id.is_not(None)
            )
        )
    )
    return {
        "workspaces": int(workspaces or 0),
        "with_overdue": int(m[5] or 0),
        "milestones": {k: int(v or 0) for k, v in zip(COUNTS, m[:5], strict=True)},
        "agreed": int(agreed or 0),
        "funding": _funding_totals(session, chosen) if workspaces else [],
    }
