"""`/account/tokens`: create, see and revoke my API tokens, in forms that work
without JavaScript. The API routes (`/api/v1/me/tokens`) follow the same rules
through the same service (auth/tokens.py).

As on GitHub and GitLab, the secret is shown once, in the answer to the form
that created it (never in a URL, a redirect or the session), and the page that
shows it is not cached."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from workspace.auth import tokens
from workspace.auth.csrf import has_valid_token
from workspace.auth.models import TOKEN_SCOPES, ApiToken
from workspace.auth.schemas import TokenCreateSchema
from workspace.db import db
from workspace.pages import pages
from workspace.pages.session import login_required

MAX_LISTED = 200

# What each scope lets a token do, in the reader's language.
SCOPE_WORDS = {
    "read": _l("Read everything you can read (workspaces, documents, trials, feeds)."),
    "write": _l("Read, and change whatever you may change."),
    "measurements:write": _l("Only record measurements on running trials (for line systems)."),
}


def _listed() -> list[ApiToken]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == g.page_user.id, ApiToken.revoked_at.is_(None))
                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
                .limit(MAX_LISTED)
            )
        )


def _page(status: int = 200, **extra: Any) -> Any:
    context = {
        "tokens": _listed(),
        "scopes": [(s, SCOPE_WORDS[s]) for s in TOKEN_SCOPES],
        "created": None,
        "secret": None,
        "errors": {},
        "form": {},
        "revoked": request.args.get("revoked") == "1",
        **extra,
    }
    headers = {"Cache-Control": "no-store"} if context["secret"] else {}
    return render_template("account/tokens.html", **context), status, headers


def _check_form() -> None:
    if not has_valid_token(request.form.get("csrf_token")):
        abort(400, description=_("The form expired; reload the page and try again."))


@pages.route("/account/tokens")
@login_required
def account_tokens() -> Any:
    return _page()


@pages.route("/account/tokens", methods=["POST"])
@login_required
def create_account_token() -> Any:
    _check_form()
    form = {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes")}
    try:
        data = TokenCreateSchema().load(form)
    except ValidationError as err:
        errors = {
            "name": _("Give the token a name, so you know later what uses it."),
            "scopes": _("Choose at least one scope."),
        }
        return _page(
            422,
            errors={k: errors[k] for k in err.messages if k in errors}
            or {"name": _("Check the form.")},
            form=form,
        )
    with db.transaction() as s:
        row, secret = tokens.create_token(s, g.page_user, data["name"], data["scopes"])
        created = {"id": row.id, "name": row.name, "scopes": list(row.scopes)}
    return _page(201, created=created, secret=secret)


@pages.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_account_token(token_id: int) -> Any:
    _check_form()
    with db.transaction() as s:
        if tokens.revoke_token(s, g.page_user, token_id) is None:
            abort(404)  # someone else's token: existence never leaks
    return redirect(url_for("pages.account_tokens", revoked=1))
