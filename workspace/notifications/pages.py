"""Pages: `/settings/notifications` and the one-click unsubscribe link."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf

from workspace.auth.models import User
from workspace.auth.service import set_account_locale
from workspace.config import settings_of
from workspace.db import db
from workspace.errors import ValidationFailed
from workspace.i18n import SUPPORTED
from workspace.notifications import preferences
from workspace.notifications.unsubscribe import read_token
from workspace.pages import pages
from workspace.pages.session import login_required


def labels() -> dict[str, str]:
    """Every notification choice in words: a type without words here fails
    tests/foundation/test_translations.py, so a raw key never reaches a person."""
    return {
        preferences.MENTION: _("Someone mentions me"),
        "comment.created": _("Someone comments"),
        "comment.edited": _("Someone edits a comment"),
        "comment.deleted": _("Someone deletes a comment"),
        "comment.resolved": _("A comment thread is resolved"),
        "comment.reopened": _("A comment thread is reopened"),
        "document.approved": _("A side approves a version of a document"),
        "document.created": _("A document is created"),
        "document.edited": _("A document is edited"),
        "document.renamed": _("A document is renamed"),
        "document.version_created": _("A version of a document is saved"),
        "file.added": _("A file is added"),
        "file.deleted": _("A file is deleted"),
        "indicator.created": _("A target indicator is added"),
        "indicator.deleted": _("A target indicator is deleted"),
        "indicator.updated": _("A target indicator is changed"),
        "member.added": _("Someone is added to a workspace"),
        "member.removed": _("Someone is removed from a workspace"),
        "member.role_changed": _("A member's role changes"),
        "milestone.created": _("A milestone is added"),
        "milestone.deleted": _("A milestone is deleted"),
        "milestone.due_soon": _("A milestone is due soon"),
        "milestone.evidence_failed": _("An evidence pack could not be made"),
        "milestone.evidence_ready": _("An evidence pack is ready"),
        "milestone.missed": _("A milestone is missed"),
        "milestone.overdue": _("A milestone is overdue"),
        "milestone.reached": _("A milestone is reached"),
        "milestone.updated": _("A milestone is changed"),
        "suggestion.created": _("Someone suggests an edit"),
        "suggestion.accepted": _("A suggested edit is accepted"),
        "suggestion.rejected": _("A suggested edit is rejected"),
        "statement.agreed": _("Both sides agree on the problem statement"),
        "trial.alert": _("A control chart signals a process out of control"),
        "trial.completed": _("A trial is completed"),
        "trial.created": _("A trial is planned"),
        "trial.deleted": _("A planned trial is deleted"),
        "trial.measurements_recorded": _("Measurements are recorded"),
        "trial.status_changed": _("A trial starts, completes or is aborted"),
        "trial.updated": _("A trial's hypothesis or parameters change"),
        "webhook.created": _("A webhook is added (owners)"),
        "webhook.disabled": _("A webhook is disabled (owners)"),
        "workspace.created": _("A workspace is created"),
        "workspace.updated": _("A workspace's details change"),
    }


@pages.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> Any:
    user = g.page_user
    saved, error = False, None
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except Exception:
            abort(400, description=_("The form expired; reload the page and try again."))
        data: dict[str, Any] = {
            "events": {
                k: request.form.get(f"event:{k}", "off")
                for k in preferences.known_keys()
                if f"event:{k}" in request.form
            },
            "timezone": request.form.get("timezone") or None,
        }
        try:
            data["digest_hour"] = int(request.form.get("digest_hour", ""))
        except ValueError:
            data["digest_hour"] = -1
        language = request.form.get("language")  # absent: unchanged
        try:
            if not 0 <= data["digest_hour"] <= 23:
                raise ValidationFailed(
                    "Some preferences are invalid.",
                    fields={"digest_hour": ["An hour from 0 to 23."]},
                )
            if language not in (None, "browser", *SUPPORTED):
                raise ValidationFailed(
                    "Some preferences are invalid.", fields={"language": ["zh-CN, en or browser."]}
                )
            with db.transaction() as s:
                preferences.update_preferences(s, user, data)
                if language is not None:
                    set_account_locale(s, user, None if language == "browser" else language)
            saved = True
        except ValidationFailed as err:
            error = err
    with db.reading() as s:
        account = s.get(User, user.id)
        prefs = preferences.get_preferences(s, account)
        language = account.locale if account.locale_chosen else "browser"
    return render_template(
        "notifications/settings.html",
        prefs=prefs,
        labels=labels(),
        language=language,
        saved=saved,
        error=error,
    ), 422 if error else 200


@pages.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    settings = settings_of(current_app)
    found = read_token(settings.secret_key, token)
    if found is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    user_id, key = found
    what = _("the daily digest") if key == "digest" else labels().get(key, key)
    if request.method == "GET":
        # A GET never changes anything: mail scanners open links.
        return render_template("notifications/unsubscribe.html", what=what, done=False)
    with db.transaction() as s:
        if s.get(User, user_id) is None:
            return render_template("notifications/unsubscribe.html", invalid=True), 404
        now = preferences.switch_off(s, user_id, key)
    return render_template("notifications/unsubscribe.html", what=what, done=True, now=now)
