"""`/settings/password`: change my password, in a form that works without
JavaScript. The API route (`POST /api/v1/me/password`) follows the same rules
through the same service."""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request
from flask_babel import gettext as _

from workspace.auth.csrf import has_valid_token
from workspace.auth.current import current_session_id, renew_session
from workspace.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from workspace.auth.service import change_password
from workspace.db import db
from workspace.errors import AppError
from workspace.pages import pages
from workspace.pages.session import login_required


def _message(err: AppError) -> str:
    """Service errors in the reader's language."""
    if err.code == "wrong_password":
        return _("The current password is wrong.")
    if err.code == "same_password":
        return _("The new password must differ from the current one.")
    if err.code == "weak_password":
        return _("Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    if err.code == "rate_limited":
        return _(
            "Too many failed attempts; wait %(seconds)s seconds and try again.",
            seconds=getattr(err, "retry_after", None) or 60,
        )
    return err.message


@pages.route("/settings/password", methods=["GET", "POST"])
@login_required
def password_settings() -> Any:
    if request.method == "GET":
        return render_template("auth/password.html", done=False, error=None, field=None)
    if not has_valid_token(request.form.get("csrf_token")):
        abort(400, description=_("The form expired; reload the page and try again."))
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return render_template(
            "auth/password.html",
            done=False,
            field="confirm_password",
            error=_("The two new passwords differ."),
        ), 422
    try:
        with db.transaction() as s:
            row = change_password(
                s,
                g.page_user,
                current,
                new,
                request.remote_addr or "unknown",
                keep_session_id=current_session_id(),
            )
            renew_session(s, row)  # this browser stays signed in; the others are not
    except AppError as err:
        field = next(iter(err.fields), None)
        headers = {"Retry-After": str(err.retry_after)} if getattr(err, "retry_after", None) else {}
        return (
            render_template("auth/password.html", done=False, field=field, error=_message(err)),
            err.status,
            headers,
        )
    return render_template("auth/password.html", done=True, error=None, field=None)
