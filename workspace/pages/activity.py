"""Event envelopes as sentences people read, in their language.

The same templates render the server-side list and, passed to the page as
JSON, the events that arrive live.
"""

from __future__ import annotations

from typing import Any

from workspace.i18n import get_locale, ngettext
from workspace.i18n import gettext as _


def templates() -> dict[str, str]:
    return {
        "workspace.created": _("{actor} created the workspace"),
        "workspace.updated": _("{actor} updated the workspace"),
        "member.added": _("{actor} added {name} as {role}"),
        "member.removed": _("{actor} removed {name}"),
        "member.role_changed": _("{actor} made {name} {role}"),
        "document.created": _("{actor} created the document {title}"),
        "document.renamed": _("{actor} renamed the document {previous_title} to {title}"),
        "document.edited": _("{editors} edited {title}"),
        "document.version_created": _("{actor} saved version {label} of {title}"),
        "document.approved": _("{actor} approved version {label} of {title}"),
        "statement.agreed": _("Both sides agreed on the problem statement ({label})"),
        "comment.created": _("{actor} commented on {title}"),
        "comment.edited": _("{actor} edited a comment on {title}"),
        "comment.deleted": _("{actor} deleted a comment on {title}"),
        "comment.resolved": _("{actor} resolved a comment thread on {title}"),
        "comment.reopened": _("{actor} reopened a comment thread on {title}"),
        "suggestion.created": _("{actor} suggested an edit to {title}"),
        "suggestion.accepted": _("{actor} accepted a suggested edit to {title}"),
        "suggestion.rejected": _("{actor} rejected a suggested edit to {title}"),
        "indicator.created": _("{actor} added the indicator {label}"),
        "indicator.updated": _("{actor} changed the indicator {label}"),
        "indicator.deleted": _("{actor} deleted the indicator {label}"),
        "trial.created": _("{actor} planned trial #{number}"),
        "trial.updated": _("{actor} updated trial #{number}"),
        "trial.deleted": _("{actor} deleted trial #{number}"),
        "trial.status_changed": _("Trial #{number} is now {status}"),
        # A sentence with a count comes in the plural forms of the reader's
        # language ("one", "other"), chosen by `describe` (and JL.describe).
        "trial.measurements_recorded.one": ngettext(
            "{count} measurement recorded for trial #{number}",
            "{count} measurements recorded for trial #{number}", 1),
        "trial.measurements_recorded.other": ngettext(
            "{count} measurement recorded for trial #{number}",
            "{count} measurements recorded for trial #{number}", 2),
        "trial.completed": _("Trial #{number} completed: {outcome}"),
        "trial.alert": _("Out-of-control signal on trial #{number}: {rule}"),
        "milestone.created": _("{actor} added the milestone {title}"),
        "milestone.updated": _("{actor} changed the milestone {title}"),
        "milestone.deleted": _("{actor} deleted the milestone {title}"),
        "milestone.reached": _("Milestone reached: {title}"),
        "milestone.missed": _("Milestone missed: {title}"),
        "milestone.due_soon": _("Milestone due soon: {title}"),
        "milestone.overdue": _("Milestone overdue: {title}"),
        "milestone.evidence_ready": _("Evidence pack ready: {title}"),
        "milestone.evidence_failed": _("The evidence pack could not be made: {title}"),
        "webhook.created": _("{actor} added a webhook"),
        "file.added": _("{actor} added the file {name}"),
        "file.deleted": _("{actor} deleted the file {name}"),
        "webhook.disabled": _("A webhook was disabled after failing: {url}"),
        "_default": _("{type}"),
        # Status and outcome words inside sentences, in the reader's language.
        "_value.planned": _("planned"),
        "_value.running": _("running"),
        "_value.completed": _("completed"),
        "_value.aborted": _("aborted"),
        "_value.pending": _("pending"),
        "_value.passed": _("passed"),
        "_value.failed": _("failed"),
        "_value.owner": _("owner"),
        "_value.editor": _("editor"),
        "_value.viewer": _("viewer"),
        "_someone": _("Someone"),
        # Control-chart rules (workspace/trials/spc.py RULES), keyed by the
        # English words an alert event carries.
        "_rule.one point beyond 3σ": _("one point beyond 3σ"),
        "_rule.two of three beyond 2σ on one side": _("two of three beyond 2σ on one side"),
        "_rule.four of five beyond 1σ on one side": _("four of five beyond 1σ on one side"),
        "_rule.eight in a row on one side of the centre":
            _("eight in a row on one side of the centre"),
    }


def _flatten(envelope: dict[str, Any]) -> dict[str, Any]:
    data = envelope.get("data") or {}
    values: dict[str, Any] = {"type": envelope["type"]}
    for key, value in data.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                values.setdefault(inner, inner_value)
        else:
            values[key] = value
    for key, value in data.items():
        if not isinstance(value, dict | list):
            values[key] = value
    return values


def describe(envelope: dict[str, Any], table: dict[str, str] | None = None) -> str:
    table = table or templates()
    values = _flatten(envelope)
    actor = envelope.get("actor") or {}
    values.setdefault("actor", actor.get("name") or table["_someone"])
    for key, value in values.items():
        if isinstance(value, list):  # people (by name) or plain values, as a list in words
            values[key] = ", ".join(str(v.get("name")) if isinstance(v, dict) else str(v)
                                    for v in value)
    for key in ("status", "outcome", "role"):
        word = values.get(key)
        if isinstance(word, str) and f"_value.{word}" in table:
            values[key] = table[f"_value.{word}"]
    rule = values.get("rule")
    if isinstance(rule, str) and f"_rule.{rule}" in table:
        values["rule"] = table[f"_rule.{rule}"]
    template = table.get(envelope["type"], table["_default"])
    count = values.get("count")
    if isinstance(count, int) and f"{envelope['type']}.other" in table:
        locale = get_locale()
        form = locale.plural_form(count) if locale is not None else "other"
        template = table.get(f"{envelope['type']}.{form}") or table[f"{envelope['type']}.other"]

    class Missing(dict):
        def __missing__(self, key: str) -> str:
            return "…"

    return template.format_map(Missing(values))
