"""Who may call what: the callers, the rights they hold, and the outcome a
caller should get (`expect`). The routes that name these rights are in
access_matrix.py.

Outcomes, computed by `expect()` for a caller on the seeded workspace W:
- a holder of the right: one of the case's `ok` statuses;
- anonymous: 401 on the API, a redirect to the login page on pages;
- a reader of W without the right: 403; anyone else: 404 (existence never
  leaks), unless the right names its own answer (`others`);
- a token: acts as the owner of W, limited by its scope (else 403
  `insufficient_scope`); pages never take tokens, so there it is anonymous,
  and a bearer call is stateless, so it has no session to carry a form's
  CSRF token (400 where a form needs one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HUMANS = (
    "anonymous",
    "non_member",
    "viewer",
    "editor",
    "owner",
    "manager_in",
    "manager_out",
    "admin",
)
TOKENS = {
    "token_read": ("read",),
    "token_write": ("write",),
    "token_measurements": ("measurements:write",),
}
CALLERS = HUMANS + tuple(TOKENS)
READERS = frozenset({"viewer", "editor", "owner", "manager_in", "admin"})


@dataclass(frozen=True)
class Right:
    holders: frozenset[str]
    # Status for callers without the right; None: 403 for readers of W, 404
    # for everyone else. `overrides` pins single callers.
    others: int | None = None
    overrides: dict[str, int] = field(default_factory=dict)


def _right(*holders: str, others: int | None = None, **overrides: int) -> Right:
    return Right(frozenset(holders), others, overrides)


EVERYONE = frozenset(CALLERS)
RIGHTS = {
    "public": Right(EVERYONE),
    "user": _right(*(c for c in HUMANS if c != "anonymous")),
    # A leaked token must not take the account: a signed-in browser only.
    "session_user": _right(*(c for c in HUMANS if c != "anonymous"), token_write=403),
    "read": Right(READERS),
    # SPEC: viewers read and comment; managers read and change nothing.
    "comment": _right("viewer", "editor", "owner", "admin"),
    "edit": _right("editor", "owner", "admin"),
    "manage": _right("owner", "admin"),
    # SPEC: managers create workspaces and add members (to those they oversee).
    "add_member": _right("owner", "manager_in", "admin"),
    # SPEC: owners and managers may set a milestone missed.
    "set_status": _right("owner", "manager_in", "admin"),
    # The program's money: set by those who oversee the workspace.
    "fund": _right("manager_in", "admin"),
    # Evidence packs go to the two leads (owners) and the overseeing managers.
    "evidence": _right("owner", "manager_in", "admin"),
    # Approval is per side; the admin belongs to no organization, so has none.
    "approve": _right("editor", "owner"),
    "admin": _right("admin", others=403),
    "create": _right("manager_in", "manager_out", "admin", others=403),
    # A person's own tokens and exports: nobody else learns they exist.
    "own": _right("owner", others=404),
    "own_portfolio": _right("manager_in", "admin", others=404),
    "set_portfolio": _right("admin", others=404, manager_in=403),
    "delete_portfolio": _right("admin", others=404),
    # SPEC v1.1: only its author edits a comment (the seeded one is the owner's).
    "comment_author": _right("owner"),
}

Builder = Callable[[Any, str], Any]  # (world, caller) -> value


@dataclass(frozen=True)
class Case:
    right: str
    ok: tuple[int, ...]
    body: Builder | None = None  # JSON (API) or form fields (pages)
    query: Builder | None = None
    params: Builder | None = None  # path values beyond the world's defaults
    # Allowed callers act on a fresh object: the action consumes it.
    fresh: Builder | None = None
    # "own": in a session of the caller's own, not the one the other cases
    # share (logout ends the session it runs in, login replaces it).
    session: str = "shared"
    # A page form checking its CSRF token (a bearer call has no session).
    form_csrf: bool = False
    # After an allowed call: put back what the rest of the matrix relies on.
    restore: Builder | None = None
    label: str = ""

    @property
    def writes(self) -> bool:
        return self.body is not None or self.fresh is not None


def c(right: str, *ok: int, **kw: Any) -> Case:
    return Case(right, ok or (200,), **kw)


def is_page(key: str) -> bool:
    return not key.split(" ", 1)[1].startswith("/api/")


def expect(key: str, case: Case, caller: str, scope: str | None) -> int | str:
    """ "ok", "login" (a redirect to the login page) or the status expected.

    `scope` is what the route asks of a token (None: it takes no credentials)."""
    right = RIGHTS[case.right]
    page = is_page(key)
    if caller in TOKENS and page:
        if case.form_csrf and "anonymous" in right.holders:
            return 400
        caller = "anonymous"  # pages never take tokens
    elif caller in TOKENS:
        from workspace.auth.tokens import token_allows

        if scope is not None and not token_allows(set(TOKENS[caller]), scope):
            return "insufficient_scope"
        if caller in right.overrides:
            return right.overrides[caller]
        caller = "owner"
    if caller in right.holders:
        return "ok"
    if caller == "anonymous":
        return "login" if page else 401
    if caller in right.overrides:
        return right.overrides[caller]
    if right.others is not None:
        return right.others
    return 403 if caller in READERS else 404
