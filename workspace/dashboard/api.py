"""`GET /dashboard`; importing this module also adds the dashboard pages."""

from __future__ import annotations

from typing import Any

from workspace.auth.current import require_user
from workspace.dashboard import service
from workspace.dashboard.schemas import (
    DashboardFiltersSchema,
    DashboardQuerySchema,
    DashboardSchema,
    TotalsSchema,
)
from workspace.db import db
from workspace.http import endpoint


@endpoint(
    "/dashboard",
    summary="Every workspace I oversee with its progress; sortable, filterable, searchable",
    tag="dashboard",
    query=DashboardQuerySchema(),
    response=DashboardSchema(),
    limits="limit up to 1000 rows per page",
)
def get_dashboard(query: dict) -> Any:
    user = require_user()
    with db.reading() as s:
        return service.dashboard(s, user, query)


@endpoint(
    "/dashboard/totals",
    summary="The dashboard's totals alone (what a live page refreshes after each event)",
    tag="dashboard",
    query=DashboardFiltersSchema(),
    response=TotalsSchema(),
)
def get_dashboard_totals(query: dict) -> Any:
    user = require_user()
    with db.reading() as s:
        return service.dashboard_totals_only(s, user, query)
