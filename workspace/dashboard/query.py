"""The dashboard's rows in two queries, whatever the portfolio's size.

One statement joins each overseen workspace to grouped subqueries (milestone
counts, the next open milestone, the latest trial, the statement) so sorting
and most filtering happen in the database; a second sums funding per currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from workspace.auth.access import readable_workspace_ids
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
SORTS = ("title", "status", "enterprise", "university", "next_due", "overdue", "reached",
         "open", "latest_trial", "agreed")


@dataclass
class Filters:
    organization_id: int | None = None
    status: str | None = None
    overdue: bool | None = None
    q: str | None = None
    workspace_id: int | None = None
    sort: str = "title"
    order: str = "asc"


def _in(column: Any, ids: list[int] | None) -> Any:
    return literal(True) if ids is None else column.in_(ids)


COUNTS = ("total", "reached", "open", "overdue", "missed")


def _overdue(day: Any) -> Any:
    return and_(Milestone.status == "open", Milestone.due_date < day)


def _count_columns(day: Any) -> list[Any]:
    """The milestone counts, labelled as COUNTS: per workspace or in total."""
    return [func.count(Milestone.id).label("total"),
            *(func.sum(case((Milestone.status == s, 1), else_=0)).label(s)
              for s in ("reached", "open")),
            func.sum(case((_overdue(day), 1), else_=0)).label("overdue"),
            func.sum(case((Milestone.status == "missed", 1), else_=0)).label("missed")]


def _milestone_counts(ids: list[int] | None, day: Any) -> Any:
    return (select(Milestone.workspace_id.label("workspace_id"), *_count_columns(day))
            .where(_in(Milestone.workspace_id, ids)).group_by(Milestone.workspace_id)
            .subquery("counts"))


def _next_milestone(ids: list[int] | None) -> Any:
    rank = func.row_number().over(
        partition_by=Milestone.workspace_id,
        order_by=(Milestone.due_date.is_(None), Milestone.due_date, Milestone.id))
    ranked = (select(Milestone.workspace_id, Milestone.id, Milestone.title, Milestone.due_date,
                     rank.label("rank"))
              .where(Milestone.status == "open", _in(Milestone.workspace_id, ids))
              .subquery("open_ranked"))
    return select(ranked).where(ranked.c.rank == 1).subquery("next_milestone")


def _latest_trial(ids: list[int] | None) -> Any:
    rank = func.row_number().over(partition_by=Trial.workspace_id, order_by=Trial.number.desc())
    ranked = (select(Trial.workspace_id, Trial.id, Trial.number, Trial.status, Trial.outcome,
                     Trial.title, rank.label("rank"))
              .where(_in(Trial.workspace_id, ids)).subquery("trials_ranked"))
    return select(ranked).where(ranked.c.rank == 1).subquery("latest_trial")


def _statement_agreed_expr(stmt_sq: Any) -> Any:
    if stmt_sq is None:
        return literal(None).label("agreed")
    return case((stmt_sq.c.workspace_id.is_(None), None),
                (stmt_sq.c.agreed_version_id.is_not(None), True), else_=False).label("agreed")


def _statement(ids: list[int] | None, day: Any) -> tuple[Select, dict[str, Any]]:
    ent, uni = aliased(Organization), aliased(Organization)
    counts, nxt, trial = _milestone_counts(ids, day), _next_milestone(ids), _latest_trial(ids)
    stmt_sq = agreed_subquery()
    agreed = _statement_agreed_expr(stmt_sq)
    stmt = (select(
        Workspace.id, Workspace.title, Workspace.status, Workspace.updated_at,
        ent.id.label("enterprise_id"), ent.name.label("enterprise_name"),
        uni.id.label("university_id"), uni.name.label("university_name"),
        *(func.coalesce(counts.c[k], 0).label(f"m_{k}") for k in COUNTS),
        nxt.c.id.label("next_id"), nxt.c.title.label("next_title"),
        nxt.c.due_date.label("next_due"),
        trial.c.id.label("trial_id"), trial.c.number.label("trial_number"),
        trial.c.status.label("trial_status"), trial.c.outcome.label("trial_outcome"),
        trial.c.title.label("trial_title"), agreed)
        .join(ent, ent.id == Workspace.enterprise_id)
        .join(uni, uni.id == Workspace.university_id)
        .outerjoin(counts, counts.c.workspace_id == Workspace.id)
        .outerjoin(nxt, nxt.c.workspace_id == Workspace.id)
        .outerjoin(trial, trial.c.workspace_id == Workspace.id)
        .where(_in(Workspace.id, ids)))
    if stmt_sq is not None:
        stmt = stmt.outerjoin(stmt_sq, stmt_sq.c.workspace_id == Workspace.id)
    columns = {
        "title": func.lower(Workspace.title), "status": Workspace.status,
        "enterprise": func.lower(ent.name), "university": func.lower(uni.name),
        "next_due": nxt.c.due_date, "overdue": func.coalesce(counts.c.overdue, 0),
        "reached": func.coalesce(counts.c.reached, 0),
        "open": func.coalesce(counts.c.open, 0), "latest_trial": trial.c.number,
        "agreed": literal(None) if stmt_sq is None else stmt_sq.c.agreed_version_id,
    }
    return stmt, columns


def _workspace_filters(stmt: Select, f: Filters) -> Select:
    """The filters on the workspace itself (`workspace_id` narrows the ids instead)."""
    if f.organization_id is not None:
        stmt = stmt.where(or_(Workspace.enterprise_id == f.organization_id,
                              Workspace.university_id == f.organization_id))
    if f.status:
        stmt = stmt.where(Workspace.status == f.status)
    return stmt


def _filtered(stmt: Select, cols: dict[str, Any], f: Filters) -> Select:
    stmt = _workspace_filters(stmt, f)
    # `q` and `overdue` are applied to the rows afterwards (`_matches`): in
    # SQL the planner guesses a handful of rows for a substring or aggregate
    # filter, picks nested loops over the grouped subqueries and took 0.5 to
    # 7 s on a 500-workspace portfolio that it otherwise reads in 25 ms.
    key = cols[f.sort]
    ordered = key.desc() if f.order == "desc" else key.asc()
    return stmt.order_by(key.is_(None), ordered, Workspace.id)


def _matches(r: Any, f: Filters) -> bool:
    if f.overdue is not None and (r.m_overdue > 0) != f.overdue:
        return False
    if f.q:
        needle = f.q.strip().lower()
        return any(needle in (text or "").lower()
                   for text in (r.title, r.enterprise_name, r.university_name))
    return True


def _funding(session: Session, workspace_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not workspace_ids:
        return {}
    rows = session.execute(
        select(Milestone.workspace_id, MilestoneTranche.currency,
               func.sum(MilestoneTranche.amount),
               func.sum(case((Milestone.status == "reached", MilestoneTranche.amount),
                             else_=0)))
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspace_ids))
        .group_by(Milestone.workspace_id, MilestoneTranche.currency)
        .order_by(MilestoneTranche.currency))
    out: dict[int, list[dict[str, Any]]] = {}
    for wid, currency, planned, released in rows:
        out.setdefault(wid, []).append({"currency": currency, "planned": _money(planned),
                                        "released": _money(released)})
    return out


def _money(value: Any) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _row(r: Any, funding: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": r.id, "title": r.title, "status": r.status,
        "enterprise": {"id": r.enterprise_id, "name": r.enterprise_name},
        "university": {"id": r.university_id, "name": r.university_name},
        "statement_agreed": None if r.agreed is None else bool(r.agreed),
        "latest_trial": None if r.trial_id is None else {
            "id": r.trial_id, "number": r.trial_number, "title": r.trial_title,
            "status": r.trial_status, "outcome": r.trial_outcome or "pending"},
        "next_milestone": None if r.next_id is None else {
            "id": r.next_id, "title": r.next_title, "due_date": r.next_due},
        "milestones": {k: int(getattr(r, f"m_{k}")) for k in COUNTS},
        "funding": funding,
    }


def _narrowed(ids: list[int] | None, f: Filters) -> list[int] | None:
    """One workspace's row (a live page refreshing it) computes its
    subqueries for that workspace only, not for the whole portfolio."""
    if f.workspace_id is None:
        return ids
    return [f.workspace_id] if ids is None or f.workspace_id in ids else []


def _raw_rows(session: Session, user: User, filters: Filters) -> list[Any]:
    """The SQL rows (not yet shaped) the user may read that pass the filters, sorted."""
    ids = _narrowed(readable_workspace_ids(session, user), filters)
    if ids is not None and not ids:
        return []
    stmt, cols = _statement(ids, today())
    return [r for r in session.execute(_filtered(stmt, cols, filters)) if _matches(r, filters)]


def dashboard_rows(session: Session, user: User, filters: Filters) -> list[dict[str, Any]]:
    """Every row, shaped (exports)."""
    raw = _raw_rows(session, user, filters)
    funding = _funding(session, [r.id for r in raw])
    return [_row(r, funding.get(r.id, [])) for r in raw]


def dashboard_page(session: Session, user: User, filters: Filters, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """One page of shaped rows, the totals over every matching row, and
    whether more follow. Only the page's rows are shaped and carry funding."""
    raw = _raw_rows(session, user, filters)
    page = raw[offset:offset + limit]
    funding = _funding(session, [r.id for r in page])
    rows = [_row(r, funding.get(r.id, [])) for r in page]
    return rows, _totals_of(session, raw), offset + limit < len(raw)


def _totals_of(session: Session, raw: list[Any]) -> dict[str, Any]:
    return {
        "workspaces": len(raw),
        "with_overdue": sum(1 for r in raw if r.m_overdue),
        "milestones": {k: sum(int(getattr(r, f"m_{k}")) for r in raw) for k in COUNTS},
        "agreed": sum(1 for r in raw if r.agreed),
        "funding": _funding_totals(session, [r.id for r in raw]),
    }


def _funding_totals(session: Session, workspace_ids: list[int]) -> list[dict[str, str]]:
    if not workspace_ids:
        return []
    money = session.execute(
        select(MilestoneTranche.currency, func.sum(MilestoneTranche.amount),
               func.sum(case((Milestone.status == "reached", MilestoneTranche.amount), else_=0)))
        .join(Milestone, Milestone.id == MilestoneTranche.milestone_id)
        .where(Milestone.workspace_id.in_(workspace_ids))
        .group_by(MilestoneTranche.currency).order_by(MilestoneTranche.currency))
    return [{"currency": c, "planned": _money(p), "released": _money(r)} for c, p, r in money]


def dashboard_totals(session: Session, user: User, filters: Filters) -> dict[str, Any]:
    """The totals of `dashboard_page`, from aggregates alone.

    Every open dashboard refreshes its totals after each event it sees; with
    hundreds of managers watching, reading every row each time would make
    the server's work grow with managers × events × portfolio size."""
    if filters.q or filters.overdue is not None:  # row-level filters: need the rows
        return _totals_of(session, _raw_rows(session, user, filters))
    ids = _narrowed(readable_workspace_ids(session, user), filters)
    if ids is not None and not ids:
        return _totals_of(session, [])
    chosen = _workspace_filters(select(Workspace.id).where(_in(Workspace.id, ids)), filters)
    wids = list(session.scalars(chosen))
    day = today()
    m = session.execute(select(
        *_count_columns(day),
        func.count(func.distinct(case((_overdue(day), Milestone.workspace_id)))),
    ).where(Milestone.workspace_id.in_(wids))).one() if wids else (0,) * 6
    statements = agreed_subquery()
    agreed = session.scalar(
        select(func.count()).select_from(statements)
        .where(statements.c.workspace_id.in_(wids),
               statements.c.agreed_version_id.is_not(None))) if wids and statements is not None \
        else 0
    return {
        "workspaces": len(wids),
        "with_overdue": int(m[5] or 0),
        "milestones": {k: int(v or 0) for k, v in zip(COUNTS, m[:5], strict=True)},
        "agreed": int(agreed or 0),
        "funding": _funding_totals(session, wids),
    }
