"""Build the mails: text and HTML alternatives in the reader's language,
a link back, threading headers and a one-click unsubscribe."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.auth.access import readable_workspace_ids
from workspace.auth.models import User
from workspace.config import Settings
from workspace.db import utcnow
from workspace.events.models import Event
from workspace.events.presentation import link, sentence
from workspace.i18n import gettext as _
from workspace.i18n import in_locale
from workspace.notifications import mailer
from workspace.notifications.models import DigestItem, OutgoingMail
from workspace.notifications.unsubscribe import unsubscribe_url
from workspace.notifications.wording import quoted_text, thread_key, thread_subject
from workspace.safe_text import for_header, for_mail_body, one_line
from workspace.spaces.models import Workspace


def mail_domain(settings: Settings) -> str:
    return urlsplit(settings.public_url).hostname or "localhost"


def compose(s: Session, mail: OutgoingMail, settings: Settings) -> EmailMessage | None:
    """None: nothing to send (the person is gone, or may no longer read any of it)."""
    user = s.get(User, mail.user_id)
    if user is None or not user.active:
        return None
    with in_locale(user.locale):
        if mail.kind == "digest":
            return _digest(s, mail, user, settings)
        return _immediate(s, mail, user, settings)


def _still_readable(s: Session, user: User, workspace_ids: set[int]) -> set[int]:
    """A mail waits (for the digest hour, for a retry): access is asked again
    when it is composed, so someone removed meanwhile is told nothing more."""
    readable = readable_workspace_ids(s, user)
    return workspace_ids if readable is None else workspace_ids & set(readable)


def _base(mail: OutgoingMail, user: User, settings: Settings, unsubscribe_key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mailer.sender(settings)
    # An Address quotes the name: a comma or `<` in it cannot make a second
    # recipient, and a line break cannot start a header.
    msg["To"] = Address(display_name=for_header(user.name), addr_spec=user.email)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = mail.message_id or make_msgid(f"jl{mail.id}", mail_domain(settings))
    link = unsubscribe_url(settings.public_url, settings.secret_key, user.id, unsubscribe_key)
    msg["List-Unsubscribe"] = f"<{link}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = user.locale
    return msg


def _immediate(s: Session, mail: OutgoingMail, user: User, settings: Settings) -> EmailMessage:
    event = s.get(Event, mail.event_id) if mail.event_id is not None else None
    if event is not None and not _still_readable(s, user, {event.workspace_id}):
        return None
    envelope = event.envelope() if event else {}
    ws = s.get(Workspace, event.workspace_id) if event else None
    msg = _base(mail, user, settings, mail.reason)
    text = sentence(envelope) if envelope else ""
    title = ws.title if ws else "JointLab"
    msg["Subject"] = for_header(f"[{title}] {text}")
    key = thread_key(envelope) if envelope else None
    if key:
        root = f"<{key}@{mail_domain(settings)}>"
        msg["In-Reply-To"] = root
        msg["References"] = root
    label = for_header(title).replace("\\", "").replace('"', "'")
    msg["List-Id"] = f'"{label}" <ws-{envelope.get("workspace_id")}.{mail_domain(settings)}>'
    context = {
        "user": user,
        "workspace_title": one_line(title),
        "sentence": text,
        "link": link(envelope, settings.public_url) if envelope else settings.public_url,
        "about": thread_subject(envelope) if envelope else None,
        # What was said, as GitHub and Linear mails carry it (escaped in HTML
        # by the template, like every value).
        "quote": quoted_text(envelope) if envelope else None,
        "reason": _reason(mail.reason, envelope.get("type") if envelope else None),
        "settings_link": f"{settings.public_url}/settings/notifications",
        "unsubscribe_link": msg["List-Unsubscribe"].strip("<>"),
    }
    msg.set_content(for_mail_body(render_template("email/notification.txt", **context)))
    msg.add_alternative(
        for_mail_body(render_template("email/notification.html", **context)), subtype="html"
    )
    return msg


def _digest(s: Session, mail: OutgoingMail, user: User, settings: Settings) -> EmailMessage:
    rows = s.execute(
        select(DigestItem, Event)
        .join(Event, Event.id == DigestItem.event_id)
        .where(DigestItem.mail_id == mail.id)
        .order_by(Event.id)
    ).all()
    readable = _still_readable(s, user, {e.workspace_id for _i, e in rows})
    rows = [(item, e) for item, e in rows if e.workspace_id in readable]
    if not rows:
        return None
    titles = (
        {
            w.id: w.title
            for w in s.scalars(
                select(Workspace).where(Workspace.id.in_({e.workspace_id for _i, e in rows}))
            )
        }
        if rows
        else {}
    )
    groups: dict[int, list[dict[str, Any]]] = {}
    for _item, event in rows:
        env = event.envelope()
        groups.setdefault(event.workspace_id, []).append(
            {
                "sentence": sentence(env),
                "link": link(env, settings.public_url),
                "at": env["occurred_at"],
                "quote": quoted_text(env),
            }
        )
    msg = _base(mail, user, settings, "digest")
    msg["Subject"] = _("JointLab daily digest: %(count)d updates", count=len(rows))
    context = {
        "user": user,
        "groups": [(one_line(titles.get(wid, "")), items) for wid, items in groups.items()],
        "count": len(rows),
        "settings_link": f"{settings.public_url}/settings/notifications",
        "unsubscribe_link": msg["List-Unsubscribe"].strip("<>"),
        "public_url": settings.public_url,
    }
    msg.set_content(for_mail_body(render_template("email/digest.txt", **context)))
    msg.add_alternative(
        for_mail_body(render_template("email/digest.html", **context)), subtype="html"
    )
    return msg


def _reason(key: str, event_type: str | None = None) -> str:
    if key == "mention" and event_type == "suggestion.created":
        return _("You get this because you can accept suggested edits to this document.")
    if key == "mention" and event_type in ("suggestion.accepted", "suggestion.rejected"):
        return _("You get this because you suggested this edit.")
    if key == "mention":
        return _("You get this because you were mentioned.")
    return _("You get this because your preferences send %(type)s immediately.", type=key)
