"""What an event says to a person and where it takes them: the one place that
words an event envelope and builds its links, in the reader's language.

Pages, the dashboard feed, mails, digests, chat bots and Atom all call
`present` (or `sentence` and `link`). Live events arrive over Socket.IO as the
bare envelope the SPEC fixes (one message to a room of readers of several
languages), so the browser words them with static/js/event_words.js, a line
for line port of `describe` and `link` below, fed with this module's `words()`
table; tests/events check that both give the same words and the same link.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from workspace.i18n import get_locale, ngettext
from workspace.i18n import gettext as _
from workspace.safe_text import one_line

# The things an event may be about that have a place on the workspace page,
# in the order a link or a mail thread prefers them.
ANCHORED = ("milestone", "trial", "document")


class Presentation(NamedTuple):
    text: str  # one line
    url: str  # public_url + path
    evidence_url: str | None  # the milestone's evidence pack, when it is ready


def words() -> dict[str, str]:
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
        # language ("one", "other"), chosen by `describe` (and JL.events.describe).
        "trial.measurements_recorded.one": ngettext(
            "{count} measurement recorded for trial #{number}",
            "{count} measurements recorded for trial #{number}",
            1,
        ),
        "trial.measurements_recorded.other": ngettext(
            "{count} measurement recorded for trial #{number}",
            "{count} measurements recorded for trial #{number}",
            2,
        ),
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
        "webhook.ping": _("JointLab test message: this webhook works."),
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
        "_rule.eight in a row on one side of the centre": _(
            "eight in a row on one side of the centre"
        ),
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
    """The sentence as the reader's table words it (may span lines if a title
    stored long ago did; `sentence` is the one-line form)."""
    table = table or words()
    values = _flatten(envelope)
    actor = envelope.get("actor") or {}
    values.setdefault("actor", actor.get("name") or table["_someone"])
    for key, value in values.items():
        if isinstance(value, list):  # people (by name) or plain values, as a list in words
            values[key] = ", ".join(
                str(v.get("name")) if isinstance(v, dict) else str(v) for v in value
            )
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


def sentence(envelope: dict[str, Any], table: dict[str, str] | None = None) -> str:
    """The sentence on one line, whatever the titles inside it held."""
    return one_line(describe(envelope, table))


def link(envelope: dict[str, Any], public_url: str = "") -> str:
    """Where the reader should land: the workspace page, at the thing if it
    has an anchor there; a comment or suggestion on its document's page."""
    base = f"{public_url}/workspaces/{envelope['workspace_id']}"
    data = envelope.get("data") or {}
    suggestion, document = data.get("suggestion"), data.get("document")
    if (
        isinstance(suggestion, dict)
        and isinstance(document, dict)
        and suggestion.get("id") is not None
        and document.get("id") is not None
    ):
        return f"{public_url}/documents/{document['id']}#suggestion-{suggestion['id']}"
    comment = data.get("comment")
    if (
        isinstance(comment, dict)
        and isinstance(document, dict)
        and comment.get("id") is not None
        and document.get("id") is not None
    ):
        # A comment is read where it was written: its thread on the document page.
        thread = data.get("parent_id") or comment.get("parent_id") or comment["id"]
        return f"{public_url}/documents/{document['id']}#comment-{thread}"
    if str(envelope.get("type", "")).endswith(".deleted"):
        return base  # nothing left to point at
    for key in ANCHORED:
        inner = data.get(key)
        if isinstance(inner, dict) and inner.get("id") is not None:
            return f"{base}#{key}-{inner['id']}"
    return base


def evidence_link(envelope: dict[str, Any], public_url: str = "") -> str | None:
    if envelope.get("type") != "milestone.evidence_ready":
        return None
    milestone = (envelope.get("data") or {}).get("milestone") or {}
    if not isinstance(milestone, dict) or milestone.get("id") is None:
        return None
    return f"{public_url}/api/v1/milestones/{milestone['id']}/evidence.pdf"


def present(
    envelope: dict[str, Any], public_url: str = "", table: dict[str, str] | None = None
) -> Presentation:
    """The event's sentence and links; pass `table` (from `words()`) when
    presenting many events in one language."""
    return Presentation(
        sentence(envelope, table), link(envelope, public_url), evidence_link(envelope, public_url)
    )
