"""Words the dashboard shows for values, in the reader's language; the same
table goes to the page's JavaScript as JSON."""

from __future__ import annotations

from workspace.i18n import gettext as _


def labels() -> dict[str, str]:
    return {
        "active": _("active"),
        "paused": _("paused"),
        "completed": _("completed"),
        "archived": _("archived"),
        "planned": _("planned"),
        "running": _("running"),
        "aborted": _("aborted"),
        "passed": _("passed"),
        "failed": _("failed"),
        "pending": _("pending"),
        "open": _("open"),
        "reached": _("reached"),
        "missed": _("missed"),
        "agreed": _("agreed"),
        "not_agreed": _("not yet"),
        "none": "—",
        "connected": _("live"),
        "connecting": _("connecting…"),
        "reconnecting": _("reconnecting…"),
        "overdue": _("overdue"),
        "evidence": _("Evidence pack (PDF)"),
        "queued": _("queued"),
        "export_running": _("Exporting… {done} of {total}"),
        "export_done": _("Ready: download {filename}"),
        "export_failed": _("The export failed: {error}"),
    }
