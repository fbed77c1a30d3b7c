"""`/account/sessions`: where I am signed in, and "End session" for each."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from workspace.auth import devices, sessions
from workspace.auth.csrf import has_valid_token
from workspace.auth.current import current_session_id
from workspace.db import db
from workspace.pages import pages
from workspace.pages.session import login_required

MAX_LISTED = 200


def device_label(user_agent: str) -> str:
    browser, system = devices.browser_and_system(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")


@pages.route("/account/sessions")
@login_required
def account_sessions() -> Any:
    with db.reading() as s:
        rows = sessions.list_standing(s, g.page_user.id, 0, MAX_LISTED)[:MAX_LISTED]
    current = current_session_id()
    # The current one first, then the most recently seen.
    rows.sort(key=lambda r: (r.id != current, -r.last_seen_at.timestamp()))
    listed = [
        {"row": r, "device": device_label(r.user_agent), "current": r.id == current} for r in rows
    ]
    return render_template(
        "account/sessions.html", sessions=listed, ended=request.args.get("ended") == "1"
    )


@pages.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_account_session(session_id: int) -> Any:
    if not has_valid_token(request.form.get("csrf_token")):
        abort(400, description=_("The form expired; reload the page and try again."))
    with db.transaction() as s:
        sessions.end_session(s, g.page_user, session_id)
    if session_id == current_session_id():
        session.clear()
        return redirect(url_for("pages.login"))
    return redirect(url_for("pages.account_sessions", ended=1))
