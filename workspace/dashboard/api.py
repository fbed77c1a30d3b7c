"""`GET /dashboard`; importing this module also adds the dashboard pages."""

from __future__ import annotations

from typing import Any

from workspace.auth.current import require_user
from workspace.dashboard import pages as _pages  # noqa: F401  (registers the pages)
from workspace.dashboard import service
from workspace.dashboard.schemas import DashboardQuerySchema, DashboardSchema
from workspace.db import db
from workspace.http import endpoint


@endpoint("/dashboard", summary="Every workspace I oversee with its progress; sortable, "
          "filterable, searchable", tag="dashboard", query=DashboardQuerySchema(),
          response=DashboardSchema(), limits="limit up to 1000 rows per page")
def get_dashboard(query: dict) -> Any:
    user = require_user()
    with db.reading() as s:
        return service.dashboard(s, user, query)
