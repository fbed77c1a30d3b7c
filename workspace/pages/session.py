"""The signed-in person for pages (cookie only; pages never take tokens)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for

from workspace.auth.models import User
from workspace.db import db


def load_page_user() -> None:
    g.page_user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with db.reading() as s:
        user = s.get(User, user_id)
    if user is not None and user.active and session.get("auth_v") == user.password_hash[-16:]:
        g.page_user = user
        g.user = user


def login_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("page_user") is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
