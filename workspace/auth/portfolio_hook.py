"""Where manager portfolios plug into access checks.

By default a manager oversees every workspace. The portfolios capability
replaces `restrict` at start-up with its own lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from workspace.auth.models import User

# The hook answers with SQL (a SELECT of workspace ids) rather than a set, so
# large portfolios can be filtered inside the database.
_restrict: Callable[[Session, User], Any | None] | None = None


def install(func: Callable[[Session, User], Any | None]) -> None:
    global _restrict
    _restrict = func


def restrict(session: Session, user: User) -> Any | None:
    """A SELECT of the workspace ids the manager oversees, or None (every one)."""
    return None if _restrict is None else _restrict(session, user)
