"""The signed-in person for pages (cookie only; pages never take tokens)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import g, redirect, request, url_for

from workspace.auth.current import cookie_session
from workspace.db import db


def load_page_user() -> None:
    g.page_user = None
    with db.lookup() as s:  # one statement: the session row with its user
        found = cookie_session(s)
    if found is not None:
        g.page_user = g.user = found[1]


def login_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("page_user") is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
