"""Who may read or change what: the one permission check used by REST,
Socket.IO and pages alike.

Non-readers get 404 (a workspace's existence is itself private); readers who
lack the right get 403. A row inside a workspace (a trial, a milestone...)
answers a non-reader exactly as a row that does not exist: `missing` names it.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from workspace.auth import portfolio_hook
from workspace.auth.models import User
from workspace.errors import Forbidden, NotFound
from workspace.spaces.models import Membership, Workspace

T = TypeVar("T")

# The roles that change a workspace's contents (`Need.EDIT`); SQL that picks
# the people who may act on a suggestion asks for the same set.
EDITOR_ROLES = ("owner", "editor")


class Need(Enum):
    READ = "read"  # see everything inside
    COMMENT = "comment"  # viewers may comment
    EDIT = "edit"  # documents, indicators, trials, measurements, milestones
    MANAGE = "manage"  # members, webhooks, the workspace itself
    ADD_MEMBER = "add_member"  # owners, and managers who oversee the workspace
    SET_STATUS = "set_status"  # a milestone missed or open again: owners and overseers
    FUND = "fund"  # a milestone's funding: the managers overseeing it (and admins)
    EVIDENCE = "evidence"  # evidence packs: owners and overseers


def membership_role(session: Session, user: User, workspace_id: int) -> str | None:
    return session.scalar(
        select(Membership.role).where(
            Membership.workspace_id == workspace_id, Membership.user_id == user.id
        )
    )


def oversees(session: Session, user: User, workspace_id: int) -> bool:
    """Managers read every workspace of their portfolio (all, if they have none)."""
    if not user.is_manager:
        return False

    query = portfolio_hook.restrict(session, user)
    if query is None:
        return True
    # One id asked in SQL: every workspace request would otherwise load the
    # whole portfolio (hundreds of ids) to test one.
    found = session.scalar(
        select(Workspace.id).where(Workspace.id == workspace_id, Workspace.id.in_(query))
    )
    return found is not None


def allowed(role: str | None, is_admin: bool, is_overseer: bool, need: Need) -> bool:
    if is_admin:
        return True
    if need is Need.READ:
        return role is not None or is_overseer
    if need is Need.COMMENT:
        return role is not None
    if need is Need.EDIT:
        return role in EDITOR_ROLES
    if need is Need.FUND:
        return is_overseer
    if need in (Need.ADD_MEMBER, Need.SET_STATUS, Need.EVIDENCE):
        return role == "owner" or is_overseer
    return role == "owner"


def manages(user: User, role: str | None) -> bool:
    """`Need.MANAGE` for a role already looked up (a page that has it at hand)."""
    return allowed(role, user.is_admin, False, Need.MANAGE)


def edits(user: User, role: str | None) -> bool:
    """`Need.EDIT` for a role already looked up."""
    return allowed(role, user.is_admin, False, Need.EDIT)


def administers_users(user: User) -> bool:
    """Admins create, list, disable and re-enable accounts, and set managers'
    portfolios; nobody else, whatever their workspace roles."""
    return user.is_admin


def hears_webhook_trouble(role: str | None) -> bool:
    """A disabled webhook is news for the members who can repair it: owners."""
    return role == "owner"


def sees_portfolio_dashboard(user: User) -> bool:
    """The dashboard link: program managers and admins follow portfolios."""
    return user.is_admin or user.is_manager


def creates_workspaces(user: User) -> bool:
    """Program managers and admins match partners (SPEC): they add
    organizations and workspaces, and see every organization to do so."""
    return user.is_admin or user.is_manager


def require_workspace(
    session: Session,
    user: User,
    workspace_id: int,
    need: Need = Need.READ,
    missing: str = "Workspace not found.",
) -> Workspace:
    """`missing`: the message for a non-reader, the one the caller gives for
    a row that does not exist (else a trial's id would tell that it exists)."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(missing)
    require_one_of(session, user, workspace_id, (need,), missing, _forbidden_message(need))
    return workspace


def require_row(
    session: Session,
    user: User,
    model: type[T],
    row_id: int,
    need: Need = Need.READ,
    missing: str = "Not found.",
    lock: bool = False,
) -> T:
    """A row of a workspace (it has `workspace_id`), if `user` holds `need`
    there. A row that does not exist and one in a workspace the user cannot
    read both answer `missing` (404), so an id tells nobody that it exists.
    `lock`: SELECT ... FOR UPDATE, serialising writers of that row.

    One statement reads the row and the caller's role with it: this is the
    question every co-editing update asks (a row's workspace always exists:
    workspaces are archived, never deleted)."""
    found = row_and_role(session, user, model, row_id, lock)
    if found is None:
        raise NotFound(missing)
    row, member_role = found
    _decide(
        user,
        member_role,
        oversees(session, user, row.workspace_id),
        (need,),
        missing,
        _forbidden_message(need),
    )
    return row


def row_and_role(
    session: Session, user: User, model: type[T], row_id: int, lock: bool = False
) -> tuple[T, str | None] | None:
    """The row (locked: SELECT ... FOR UPDATE) and `user`'s role in its
    workspace, in one statement; None if there is no such row. No access
    decided yet: `require_row`, or `check_rows` for several callers."""
    role = (
        select(Membership.role)
        .where(
            Membership.workspace_id == model.workspace_id,  # type: ignore[attr-defined]
            Membership.user_id == user.id,
        )
        .scalar_subquery()
    )
    stmt = select(model, role).where(model.id == row_id)  # type: ignore[attr-defined]
    if lock:
        stmt = stmt.with_for_update(of=model)
    found = session.execute(stmt).first()
    return None if found is None else (found[0], found[1])


def check_rows(
    session: Session,
    asks: list[tuple[User, T | None]],
    need: Need,
    missing: str = "Not found.",
    known: dict[tuple[int, int], str | None] | None = None,
) -> list[NotFound | Forbidden | None]:
    """`require_row`'s answer for rows already read (None: no such row), for
    several callers and rows at once: one read of the memberships they need,
    however many. Each answer is None (allowed) or the error `require_row`
    would raise. The co-editing writer asks this for a whole batch.
    `known`: roles already read in this transaction, {(user id, workspace
    id): role or None}, not read again (`row_and_role` gave one)."""
    roles: dict[tuple[int, int], str | None] = dict(known or {})
    wanted = {(u.id, r.workspace_id) for u, r in asks if r is not None} - roles.keys()  # type: ignore[attr-defined]
    if wanted:
        rows = session.execute(
            select(Membership.user_id, Membership.workspace_id, Membership.role).where(
                Membership.user_id.in_({u for u, _ in wanted}),
                Membership.workspace_id.in_({w for _, w in wanted}),
            )
        )
        roles.update({(u, w): role for u, w, role in rows})
    answers: list[NotFound | Forbidden | None] = []
    for user, row in asks:
        if row is None:
            answers.append(NotFound(missing))
            continue
        workspace_id = row.workspace_id  # type: ignore[attr-defined]
        try:
            _decide(
                user,
                roles.get((user.id, workspace_id)),
                oversees(session, user, workspace_id),
                (need,),
                missing,
                _forbidden_message(need),
            )
        except (NotFound, Forbidden) as err:
            answers.append(err)
        else:
            answers.append(None)
    return answers


def require_one_of(
    session: Session,
    user: User,
    workspace_id: int,
    needs: tuple[Need, ...],
    missing: str,
    forbidden: str,
) -> None:
    """The access question for an existing workspace: a non-reader gets
    `missing` (404, as for a row that does not exist), a reader holding none
    of `needs` gets `forbidden` (403)."""
    _decide(
        user,
        membership_role(session, user, workspace_id),
        oversees(session, user, workspace_id),
        needs,
        missing,
        forbidden,
    )


def _decide(
    user: User,
    role: str | None,
    overseer: bool,
    needs: tuple[Need, ...],
    missing: str,
    forbidden: str,
) -> None:
    if not allowed(role, user.is_admin, overseer, Need.READ):
        raise NotFound(missing)
    if not any(allowed(role, user.is_admin, overseer, need) for need in needs):
        raise Forbidden(forbidden)


def can(session: Session, user: User, workspace_id: int, need: Need) -> bool:
    role = membership_role(session, user, workspace_id)
    return allowed(role, user.is_admin, oversees(session, user, workspace_id), need)


def readable_workspaces(session: Session, user: User) -> Select | None:
    """A SELECT of the ids of the workspaces the user may read; None: every
    workspace (admins, managers without a portfolio).

    Queries over a whole portfolio filter with it inside the database:
    hundreds of ids bound as parameters cost more to send and parse than the
    query itself takes."""
    if user.is_admin:
        return None
    member_of = select(Membership.workspace_id.label("id")).where(Membership.user_id == user.id)
    if not user.is_manager:
        return member_of

    overseen = portfolio_hook.restrict(session, user)
    if overseen is None:
        return None
    return select(Workspace.id).where(or_(Workspace.id.in_(member_of), Workspace.id.in_(overseen)))


def readable_workspace_ids(session: Session, user: User) -> list[int] | None:
    """`readable_workspaces` as a sorted list."""
    query = readable_workspaces(session, user)
    return None if query is None else sorted(set(session.scalars(query)))


def _forbidden_message(need: Need) -> str:
    return {
        Need.COMMENT: "Only members of this workspace can comment.",
        Need.EDIT: "Only owners and editors can change this.",
        Need.MANAGE: "Only the workspace's owners can do this.",
        Need.ADD_MEMBER: "Only owners and the program managers overseeing it can add members.",
        Need.SET_STATUS: "Only the workspace's owners and program managers may mark a "
        "milestone missed or reopen it.",
    }.get(need, "Not allowed.")
