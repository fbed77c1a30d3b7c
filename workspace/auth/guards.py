"""Who may call a route at all, asked before its body is judged (SPEC v1.1).

A route's view decides access itself (through `access.require_workspace` or
its service), but only after `@endpoint` has validated the body and query:
a caller outside a workspace sending a bad body would learn from a 422 that
the workspace exists. So when a body or query is refused, `@endpoint` first
asks the route's guard: a non-reader gets the 404 of a row that does not
exist, a reader without the right 403, and only a caller who may call the
route hears what is wrong with the body. The valid path pays nothing: the
guard runs only on the way to a 4xx.

Every route inside a workspace gets a guard from its rule (`for_rule`): the
first path parameter naming a row of a workspace (`document_id`,
`trial_id`...) finds the workspace; the need is READ for GET and EDIT
otherwise unless the route names it (`need=`). Routes outside a workspace
that only some may call name theirs (`admins`, `creators`...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import Need, administers_users, creates_workspaces, require_one_of
from workspace.auth.models import User
from workspace.documents.models import Document, Suggestion
from workspace.errors import Forbidden, NotFound
from workspace.files.models import StoredFile
from workspace.milestones.models import Milestone
from workspace.spaces.models import Workspace
from workspace.trials.models import Indicator, Trial
from workspace.webhooks.models import Delivery, WebhookEndpoint

Guard = Callable[[Session, User, dict[str, Any]], None]


def _workspace_of(param: str, session: Session, row_id: int) -> int | None:
    """The workspace holding the row a path parameter names (None: no such row)."""
    if param == "workspace_id":
        return row_id if session.get(Workspace, row_id) is not None else None
    if param == "delivery_id":
        return session.scalar(
            select(WebhookEndpoint.workspace_id)
            .join(Delivery, Delivery.endpoint_id == WebhookEndpoint.id)
            .where(Delivery.id == row_id)
        )
    if param == "suggestion_id":
        return session.scalar(
            select(Document.workspace_id)
            .join(Suggestion, Suggestion.document_id == Document.id)
            .where(Suggestion.id == row_id)
        )
    model = _MODELS[param]
    return session.scalar(select(model.workspace_id).where(model.id == row_id))


_MODELS: dict[str, Any] = {
    "document_id": Document,
    "trial_id": Trial,
    "indicator_id": Indicator,
    "milestone_id": Milestone,
    "webhook_id": WebhookEndpoint,
    "file_id": StoredFile,
}


# Path parameters that name a row inside a workspace, with the answer for one
# that does not exist (the same words the services use).
WITHIN = {
    "workspace_id": "Workspace not found.",
    "document_id": "Document not found.",
    "trial_id": "Trial not found.",
    "indicator_id": "Indicator not found.",
    "milestone_id": "Milestone not found.",
    "webhook_id": "Webhook not found.",
    "delivery_id": "Delivery not found.",
    "file_id": "File not found.",
    "suggestion_id": "Suggestion not found.",
}


def within(param: str, *needs: Need) -> Guard:
    """Callers who can read the workspace of `param`'s row and hold one of
    `needs` (several: the route asks one or another by what the body says,
    like a milestone's title or its status)."""

    def guard(session: Session, user: User, kwargs: dict[str, Any]) -> None:
        missing = WITHIN[param]
        workspace_id = _workspace_of(param, session, kwargs[param])
        if workspace_id is None:
            raise NotFound(missing)
        require_one_of(
            session, user, workspace_id, needs, missing, "You may not do this in this workspace."
        )

    return guard


def for_rule(rule: str, method: str, need: Need | tuple[Need, ...] | None) -> Guard | None:
    """The guard of a route inside a workspace, from its rule; None outside."""
    for param in re.findall(r"<(?:\w+:)?(\w+)>", rule):
        if param in WITHIN:
            needs = (
                need
                if isinstance(need, tuple)
                else (need or (Need.READ if method == "GET" else Need.EDIT),)
            )
            return within(param, *needs)
    return None


def admins(session: Session, user: User, kwargs: dict[str, Any]) -> None:
    if not administers_users(user):
        raise Forbidden("Only admins can do this.")


def creators(session: Session, user: User, kwargs: dict[str, Any]) -> None:
    """Program managers and admins (SPEC: they create workspaces)."""
    if not creates_workspaces(user):
        raise Forbidden("Only program managers and admins can do this.")


def portfolio_setters(session: Session, user: User, kwargs: dict[str, Any]) -> None:
    """A manager's portfolio is set by admins; the manager hears 403, anyone
    else the 404 of a manager that does not exist."""
    if administers_users(user):
        return
    if user.id == kwargs.get("user_id"):
        raise Forbidden("Only an admin can change a manager's portfolio.")
    raise NotFound("Manager not found.")


def browser_sessions(session: Session, user: User, kwargs: dict[str, Any]) -> None:
    """Routes a leaked token must not reach (a password change)."""
    if g.get("token_scopes") is not None:
        raise Forbidden(
            "Change your password from a signed-in browser session; API tokens cannot.",
            code="session_required",
        )
