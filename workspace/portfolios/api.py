"""Routes for portfolios."""

from __future__ import annotations

import contextlib
from typing import Any

from workspace.auth import guards
from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import endpoint
from workspace.portfolios import service
from workspace.portfolios.schemas import PortfolioSchema, PortfolioUpdateSchema


def _refresh_live_feeds(manager_id: int) -> None:
    """Open `feed:subscribe` subscriptions of this manager (in this process)
    learn the new set at once; others pick it up when they resubscribe."""
    from realtime.feed import pump

    with contextlib.suppress(Exception):
        pump._refresh_access(manager_id)


@endpoint("/managers/<int:user_id>/portfolio", summary="A manager's portfolio (admins; a "
          "manager may read their own)", tag="portfolios", response=PortfolioSchema())
def get_portfolio(user_id: int) -> Any:
    with db.reading() as s:
        return service.get_portfolio(s, require_user(), user_id)


@endpoint("/managers/<int:user_id>/portfolio", "PUT", guard=guards.portfolio_setters,
          summary="Assign a manager the workspaces "
          "they oversee, by organization and by hand (admins)", tag="portfolios",
          body=PortfolioUpdateSchema(), response=PortfolioSchema(),
          limits="at most 5000 ids in each list")
def put_portfolio(user_id: int, data: dict) -> Any:
    with db.transaction() as s:
        result = service.set_portfolio(s, require_user(), user_id, data["organization_ids"],
                                       data["workspace_ids"])
    _refresh_live_feeds(user_id)
    return result


@endpoint("/managers/<int:user_id>/portfolio", "DELETE", summary="Remove a manager's portfolio: "
          "they oversee every workspace again (admins)", tag="portfolios",
          response=PortfolioSchema())
def delete_portfolio(user_id: int) -> Any:
    with db.transaction() as s:
        result = service.clear_portfolio(s, require_user(), user_id)
    _refresh_live_feeds(user_id)
    return result
