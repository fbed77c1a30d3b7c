from __future__ import annotations

from typing import Any

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf

from workspace.auth.access import Need, can, creates_workspaces, manages, require_workspace
from workspace.auth.csrf import SAFE_METHODS, refuse_cross_site
from workspace.auth.current import end_current_session, start_session
from workspace.auth.service import authenticate
from workspace.db import db
from workspace.errors import AppError
from workspace.events.recent import activity_panel
from workspace.house import current
from workspace.organizations.service import list_organizations
from workspace.pages import pages
from workspace.pages.safe_url import safe_next
from workspace.pages.session import load_page_user, login_required
from workspace.spaces import service as workspaces

# Newest events on a workspace's page; older ones are in the event API.
ACTIVITY_SHOWN = 50

pages.before_request(load_page_user)


@pages.before_request
def _refuse_cross_site_forms() -> None:
    # The one-click unsubscribe is POSTed by mail providers (RFC 8058), from
    # anywhere; its signed link is its authority and it only turns mail off.
    if request.method not in SAFE_METHODS and request.endpoint != "pages.unsubscribe":
        refuse_cross_site()


def _check_form_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (CSRFError, Exception):
        abort(400, description="The form expired; reload the page and try again.")


@pages.route("/")
def index() -> Any:
    return redirect(url_for("pages.workspace_list" if g.page_user else "pages.login"))


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    next_url = safe_next(request.values.get("next"), url_for("pages.workspace_list"))
    if request.method == "POST":
        _check_form_csrf()
        try:
            with db.reading() as s:
                user = authenticate(
                    s,
                    request.form.get("email", ""),
                    request.form.get("password", ""),
                    request.remote_addr or "unknown",
                )
        except AppError as err:
            error = err
        else:
            start_session(user)
            return redirect(next_url)
    status = error.status if error else 200
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_template("login.html", error=error, next_url=next_url), status, headers


@pages.route("/logout", methods=["POST"])
def logout() -> Any:
    _check_form_csrf()
    end_current_session()
    return redirect(url_for("pages.login"))


@pages.route("/locale", methods=["POST"])
def set_locale() -> Any:
    _check_form_csrf()
    locale = request.form.get("locale")
    if locale not in ("zh-CN", "en"):
        abort(400, description="Unknown language.")
    # This browser only: on a login several people share (the demo), each keeps
    # their own language. The account's language is chosen in the settings.
    response = make_response(redirect(safe_next(request.form.get("next"), "/")))
    response.set_cookie("locale", locale, max_age=365 * 86400, samesite="Lax")
    return response


@pages.route("/workspaces")
@login_required
def workspace_list() -> Any:
    user = g.page_user
    with db.reading() as s:
        rows = workspaces.list_workspaces(s, user, 0, 500)
        roles = workspaces.roles_of(s, user, [w.id for w in rows])
        orgs = list_organizations(s, 0, 1000) if creates_workspaces(user) else []
    return render_template("workspaces.html", workspaces=rows, roles=roles, orgs=orgs)


@pages.route("/workspaces/<int:workspace_id>")
@login_required
def workspace_page(workspace_id: int) -> Any:
    user = g.page_user
    with db.reading() as s:
        ws = require_workspace(s, user, workspace_id)
        members = workspaces.list_members(s, user, workspace_id)
        role = workspaces.my_role(s, user, workspace_id)
        can_add = can(s, user, workspace_id, Need.ADD_MEMBER)
        live = activity_panel(s, workspace_id, ACTIVITY_SHOWN)
    # Capabilities add sections (`house.panel`): HTML (Markup) or None.
    panels = [panel(ws, user, role) for panel in current().panels]
    return render_template(
        "workspace.html",
        ws=ws,
        members=members,
        role=role,
        panels=[p for p in panels if p],
        can_add_members=can_add,
        can_manage=manages(user, role),
        **live,
    )
