"""Workspaces and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import (
    Need,
    creates_workspaces,
    membership_role,
    readable_workspaces,
    require_workspace,
)
from workspace.auth.models import User
from workspace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workspace.events import types as ev
from workspace.events.log import apply_changes, record_event
from workspace.house import react
from workspace.organizations.models import Organization
from workspace.spaces.models import Membership, Workspace


def workspace_payload(ws: Workspace) -> dict[str, Any]:
    return {
        "id": ws.id,
        "title": ws.title,
        "status": ws.status,
        "enterprise": {"id": ws.enterprise_id, "name": ws.enterprise.name},
        "university": {"id": ws.university_id, "name": ws.university.name},
    }


def _organization(session: Session, org_id: int, kind: str, field: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise ValidationFailed("Unknown organization.", fields={field: ["No such organization."]})
    if org.kind != kind:
        raise ValidationFailed(
            f"The organization must be of kind {kind}.",
            fields={field: [f"{org.name} is a {org.kind}, not a {kind}."]},
        )
    return org


def create_workspace(
    session: Session,
    actor: User,
    *,
    title: str,
    summary: str,
    enterprise_id: int,
    university_id: int,
) -> Workspace:
    if not creates_workspaces(actor):
        raise Forbidden("Only program managers and admins create workspaces after a match.")
    enterprise = _organization(session, enterprise_id, "enterprise", "enterprise_id")
    university = _organization(session, university_id, "university", "university_id")
    ws = Workspace(
        title=title.strip(),
        summary=summary,
        enterprise=enterprise,
        university=university,
        created_by_id=actor.id,
    )
    session.add(ws)
    session.flush()
    record_event(session, ws.id, ev.WORKSPACE_CREATED, {"workspace": workspace_payload(ws)}, actor)
    # Inside this transaction, e.g. the problem statement.
    react(session, ev.WORKSPACE_CREATED, ws, actor)
    return ws


def update_workspace(
    session: Session, actor: User, workspace_id: int, changes: dict[str, Any]
) -> Workspace:
    ws = require_workspace(session, actor, workspace_id, Need.MANAGE)
    editable = ("title", "summary", "status")
    changed = apply_changes(ws, {k: changes[k] for k in editable if k in changes})
    if changed:
        record_event(session, ws.id, ev.WORKSPACE_UPDATED, {"changes": changed}, actor)
    return ws


def list_workspaces(
    session: Session, actor: User, after_id: int, limit: int, status: str | None = None
) -> list[Workspace]:
    readable = readable_workspaces(session, actor)
    stmt = select(Workspace).where(Workspace.id > after_id).order_by(Workspace.id)
    if readable is not None:
        stmt = stmt.where(Workspace.id.in_(readable))
    if status:
        stmt = stmt.where(Workspace.status == status)
    return list(session.scalars(stmt.limit(limit + 1)))


def roles_of(session: Session, actor: User, workspace_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Membership.workspace_id, Membership.role).where(
            Membership.user_id == actor.id, Membership.workspace_id.in_(workspace_ids)
        )
    )
    return {wid: role for wid, role in rows}


def member_payload(m: Membership) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "name": m.user.name,
        "email": m.user.email,
        "role": m.role,
        "side": m.user.side,
    }


def list_members(session: Session, actor: User, workspace_id: int) -> list[Membership]:
    require_workspace(session, actor, workspace_id, Need.READ)
    stmt = select(Membership).where(Membership.workspace_id == workspace_id)
    return list(session.scalars(stmt.order_by(Membership.created_at, Membership.user_id)))


def add_member(
    session: Session,
    actor: User,
    workspace_id: int,
    user_id: int | None,
    role: str,
    email: str | None = None,
) -> Membership:
    """The person by id or, for those who know only an address, by email:
    looked up only once access is decided, or anyone could ask of any
    workspace id whether an address has an account."""
    ws = require_workspace(session, actor, workspace_id, Need.ADD_MEMBER)
    if user_id is None:
        user_id = user_id_for_email(session, email or "")
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationFailed("Unknown user.", fields={"user_id": ["No such user."]})
    existing = session.get(Membership, (ws.id, user.id))
    if existing is not None:
        # Adding must never change a role behind the adder's back (an owner was once
        # demoted this way): a role change is its own action, change_member_role.
        raise Conflict(
            f"{user.name} is already a member of this workspace as {existing.role}; "
            "change their role in the member list instead.",
            code="already_member",
            fields={"user_id": [f"Already a member ({existing.role})."]},
        )
    member = Membership(workspace_id=ws.id, user_id=user.id, role=role, user=user)
    session.add(member)
    session.flush()
    record_event(session, ws.id, ev.MEMBER_ADDED, member_payload(member), actor)
    return member


def change_member_role(
    session: Session,
    actor: User,
    workspace_id: int,
    user_id: int,
    role: str,
) -> Membership:
    ws = require_workspace(session, actor, workspace_id, Need.MANAGE)
    member = session.get(Membership, (ws.id, user_id))
    if member is None:
        raise NotFound("This person is not a member.")
    if member.role == role:
        return member
    if member.role == "owner" and _owner_count(session, ws.id) == 1:
        raise Conflict(
            "A workspace needs at least one owner; make someone else an owner first.",
            code="last_owner",
        )
    before = member.role
    member.role = role
    record_event(
        session,
        ws.id,
        ev.MEMBER_ROLE_CHANGED,
        {**member_payload(member), "previous_role": before},
        actor,
    )
    return member


def remove_member(session: Session, actor: User, workspace_id: int, user_id: int) -> None:
    ws = require_workspace(session, actor, workspace_id, Need.MANAGE)
    member = session.get(Membership, (ws.id, user_id))
    if member is None:
        raise NotFound("This person is not a member.")
    if member.role == "owner" and _owner_count(session, ws.id) == 1:
        raise Conflict("A workspace needs at least one owner; add another owner first.")
    payload = member_payload(member)
    session.delete(member)
    record_event(session, ws.id, ev.MEMBER_REMOVED, payload, actor)


def _owner_count(session: Session, workspace_id: int) -> int:
    return len(
        list(
            session.scalars(
                select(Membership.user_id).where(
                    Membership.workspace_id == workspace_id, Membership.role == "owner"
                )
            )
        )
    )


def user_id_for_email(session: Session, email: str) -> int:
    user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise ValidationFailed(
            "No account has this email.", fields={"email": ["No account has this email."]}
        )
    return user_id


def my_role(session: Session, actor: User, workspace_id: int) -> str | None:
    return membership_role(session, actor, workspace_id)
