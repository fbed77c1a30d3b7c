"""Routes for portfolios. Open live feeds of a manager whose portfolio
changed follow at once: the service notes the access change, published after
commit (auth/notices.py), and realtime/guard.py re-checks their connections."""

from __future__ import annotations

from typing import Any

from workspace.auth import guards
from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import endpoint
from workspace.portfolios import service
from workspace.portfolios.schemas import PortfolioSchema, PortfolioUpdateSchema


@endpoint(
    "/managers/<int:user_id>/portfolio",
    summary="A manager's portfolio (admins; a manager may read their own)",
    tag="portfolios",
    response=PortfolioSchema(),
)
def get_portfolio(user_id: int) -> Any:
    with db.reading() as s:
        return service.get_portfolio(s, require_user(), user_id)


@endpoint(
    "/managers/<int:user_id>/portfolio",
    "PUT",
    guard=guards.portfolio_setters,
    summary="Assign a manager the workspaces they oversee, by organization and by hand (admins)",
    tag="portfolios",
    body=PortfolioUpdateSchema(),
    response=PortfolioSchema(),
    limits="at most 5000 ids in each list",
)
def put_portfolio(user_id: int, data: dict) -> Any:
    with db.transaction() as s:
        return service.set_portfolio(
            s, require_user(), user_id, data["organization_ids"], data["workspace_ids"]
        )


@endpoint(
    "/managers/<int:user_id>/portfolio",
    "DELETE",
    summary="Remove a manager's portfolio: they oversee every workspace again (admins)",
    tag="portfolios",
    response=PortfolioSchema(),
)
def delete_portfolio(user_id: int) -> Any:
    with db.transaction() as s:
        return service.clear_portfolio(s, require_user(), user_id)
