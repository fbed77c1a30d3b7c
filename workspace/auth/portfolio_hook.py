"""Where manager portfolios plug into access checks.

By default a manager oversees every workspace. The portfolios capability
declares its own lookup (`house.oversee`, workspace/bootstrap.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.house import current


def restrict(session: Session, user: User) -> Any | None:
    """A SELECT of the workspace ids the manager oversees, or None (every one).
    SQL rather than a set, so large portfolios are filtered inside the database."""
    oversight = current().oversight
    return None if oversight is None else oversight(session, user)
