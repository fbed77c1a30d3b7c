from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import creates_workspaces
from workspace.auth.models import User
from workspace.errors import Forbidden
from workspace.organizations.models import Organization


def create_organization(session: Session, actor: User, name: str, kind: str) -> Organization:
    if not creates_workspaces(actor):
        raise Forbidden("Only admins and program managers can add organizations.")
    org = Organization(name=name.strip(), kind=kind)
    session.add(org)
    session.flush()
    return org


def list_organizations(session: Session, after_id: int, limit: int) -> list[Organization]:
    stmt = select(Organization).where(Organization.id > after_id).order_by(Organization.id)
    return list(session.scalars(stmt.limit(limit + 1)))
