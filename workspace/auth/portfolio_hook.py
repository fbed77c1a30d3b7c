"""Where manager portfolios plug into access checks.

By default a manager oversees every workspace. The portfolios capability
replaces `restrict` at start-up with its own lookup.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from workspace.auth.models import User

_restrict: Callable[[Session, User], set[int] | None] | None = None


def install(func: Callable[[Session, User], set[int] | None]) -> None:
    global _restrict
    _restrict = func


def restrict(session: Session, user: User) -> set[int] | None:
    return None if _restrict is None else _restrict(session, user)
