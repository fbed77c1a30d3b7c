"""The milestone feed as Atom, for feed readers.

Readers cannot log in, so the URL carries an API token with the `read` scope
(`?token=`); revoking the token closes the feed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from workspace.auth.models import User
from workspace.events.presentation import present, words
from workspace.i18n import gettext as _
from workspace.safe_text import for_xml, one_line


def _tag(public_url: str) -> str:
    return urlsplit(public_url).hostname or "jointlab"


def atom_feed(
    user: User,
    envelopes: list[dict[str, Any]],
    titles: dict[int, str],
    public_url: str,
    self_url: str,
) -> bytes:
    """`envelopes` newest first."""
    base = public_url.rstrip("/")
    table = words()
    fg = FeedGenerator()
    fg.id(f"tag:{_tag(public_url)},2026:feed:manager-{user.id}")
    fg.title(for_xml(_("JointLab milestones · %(name)s", name=one_line(user.name))))
    fg.subtitle(_("Milestones, agreed statements and completed trials across your workspaces"))
    fg.author({"name": "JointLab"})
    fg.link(href=f"{base}/dashboard", rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("zh-CN" if user.locale == "zh-CN" else "en")
    updated = envelopes[0]["occurred_at"] if envelopes else None
    fg.updated(_when(updated) if updated else datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    for env in reversed(envelopes):  # feedgen prepends: add oldest first
        entry = fg.add_entry()
        entry.id(f"tag:{_tag(public_url)},2026:event-{env['id']}")
        # Titles and names are people's text: only what XML can carry goes in.
        text, url, _evidence = present(env, base, table)
        ws_title = one_line(titles.get(env["workspace_id"]) or "")
        entry.title(for_xml(f"{ws_title} · {text}" if ws_title else text))
        entry.link(href=url, rel="alternate")
        entry.updated(_when(env["occurred_at"]))
        entry.published(_when(env["occurred_at"]))
        entry.category(term=for_xml(env["type"]))
        if env.get("actor"):
            entry.author({"name": one_line(env["actor"].get("name")) or "—"})
        entry.content(for_xml(text), type="text")
    return fg.atom_str(pretty=True)


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
