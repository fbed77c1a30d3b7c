"""Who oversees what: assigning portfolios and narrowing access to them.

Only admins assign portfolios. A manager may read their own but not change
it: a portfolio is a restriction the platform puts on a manager, and one the
manager could lift would restrict nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import Session

from workspace.auth.access import administers_users
from workspace.auth.models import User
from workspace.auth.notices import note_access_change
from workspace.db import utcnow
from workspace.errors import Forbidden, NotFound, ValidationFailed
from workspace.organizations.models import Organization
from workspace.portfolios.models import Portfolio, PortfolioOrganization, PortfolioWorkspace
from workspace.spaces.models import Workspace

MAX_ITEMS = 5000


def overseen_query(session: Session, user: User) -> Select | None:
    """The access hook: None (every workspace) unless the manager has a
    portfolio, else a SELECT of the ids it covers."""
    if not user.is_manager:
        return None
    if session.get(Portfolio, user.id) is None:
        return None
    orgs = select(PortfolioOrganization.organization_id).where(
        PortfolioOrganization.manager_id == user.id
    )
    by_hand = select(PortfolioWorkspace.workspace_id).where(
        PortfolioWorkspace.manager_id == user.id
    )
    return select(Workspace.id).where(
        or_(
            Workspace.enterprise_id.in_(orgs),
            Workspace.university_id.in_(orgs),
            Workspace.id.in_(by_hand),
        )
    )


def overseen_ids(session: Session, user: User) -> set[int] | None:
    query = overseen_query(session, user)
    return None if query is None else set(session.scalars(query))


def _manager(session: Session, actor: User, manager_id: int, write: bool) -> User:
    if not administers_users(actor) and not (actor.id == manager_id and not write):
        if write and actor.id == manager_id:
            raise Forbidden("Only an admin can change a manager's portfolio.")
        raise NotFound("Manager not found.")
    manager = session.get(User, manager_id)
    if manager is None:
        raise NotFound("Manager not found.")
    if write and not manager.is_manager:
        raise ValidationFailed(
            "Only program managers have portfolios.",
            fields={"user_id": [f"{manager.name} is a {manager.role}."]},
        )
    return manager


def portfolio_payload(session: Session, manager: User) -> dict[str, Any]:
    row = session.get(Portfolio, manager.id) if manager.is_manager else None
    if row is None:
        return {
            "manager_id": manager.id,
            "restricted": False,
            "organization_ids": [],
            "workspace_ids": [],
            "overseen_workspace_ids": None,
            "updated_at": None,
        }
    org_ids = sorted(
        session.scalars(
            select(PortfolioOrganization.organization_id).where(
                PortfolioOrganization.manager_id == manager.id
            )
        )
    )
    ws_ids = sorted(
        session.scalars(
            select(PortfolioWorkspace.workspace_id).where(
                PortfolioWorkspace.manager_id == manager.id
            )
        )
    )
    return {
        "manager_id": manager.id,
        "restricted": True,
        "organization_ids": org_ids,
        "workspace_ids": ws_ids,
        "overseen_workspace_ids": sorted(overseen_ids(session, manager) or []),
        "updated_at": row.updated_at,
    }


def get_portfolio(session: Session, actor: User, manager_id: int) -> dict[str, Any]:
    return portfolio_payload(session, _manager(session, actor, manager_id, write=False))


def _check_known(session: Session, model: Any, ids: list[int], field: str, what: str) -> None:
    if not ids:
        return
    found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    missing = sorted(set(ids) - found)
    if missing:
        raise ValidationFailed(
            f"Unknown {what}.",
            fields={field: [f"No {what} with id {', '.join(map(str, missing))}."]},
        )


def set_portfolio(
    session: Session,
    actor: User,
    manager_id: int,
    organization_ids: list[int],
    workspace_ids: list[int],
) -> dict[str, Any]:
    """Replace the manager's portfolio. An empty one means: oversees nothing."""
    manager = _manager(session, actor, manager_id, write=True)
    org_ids, ws_ids = sorted(set(organization_ids)), sorted(set(workspace_ids))
    _check_known(session, Organization, org_ids, "organization_ids", "organization")
    _check_known(session, Workspace, ws_ids, "workspace_ids", "workspace")
    row = session.get(Portfolio, manager.id)
    if row is None:
        row = Portfolio(manager_id=manager.id)
        session.add(row)
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    session.flush()
    session.execute(
        delete(PortfolioOrganization).where(PortfolioOrganization.manager_id == manager.id)
    )
    session.execute(delete(PortfolioWorkspace).where(PortfolioWorkspace.manager_id == manager.id))
    session.add_all(
        [PortfolioOrganization(manager_id=manager.id, organization_id=i) for i in org_ids]
    )
    session.add_all([PortfolioWorkspace(manager_id=manager.id, workspace_id=i) for i in ws_ids])
    session.flush()
    note_access_change(session, manager.id, "portfolio_changed")
    return portfolio_payload(session, manager)


def clear_portfolio(session: Session, actor: User, manager_id: int) -> dict[str, Any]:
    """Back to the default: the manager oversees every workspace."""
    manager = _manager(session, actor, manager_id, write=True)
    session.execute(
        delete(PortfolioOrganization).where(PortfolioOrganization.manager_id == manager.id)
    )
    session.execute(delete(PortfolioWorkspace).where(PortfolioWorkspace.manager_id == manager.id))
    session.execute(delete(Portfolio).where(Portfolio.manager_id == manager.id))
    session.flush()
    note_access_change(session, manager.id, "portfolio_changed")
    return portfolio_payload(session, manager)
