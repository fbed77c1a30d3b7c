"""Hand a message to SMTP (`SMTP_URL`) or, by default, write it to
instance/outbox/ as an .eml file a newcomer can open.

SMTP_URL forms: `smtp://host:25` (plain), `smtp://user:pass@host:587?starttls=1`,
`smtps://user:pass@host:465` (TLS from the start); `?from=addr` sets the sender.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from workspace.config import Settings


def sender(settings: Settings) -> str:
    if settings.smtp_url:
        chosen = parse_qs(urlsplit(settings.smtp_url).query).get("from")
        if chosen:
            return chosen[0]
    host = urlsplit(settings.public_url).hostname or "localhost"
    domain = host if "." in host else f"{host}.localdomain"
    return f"JointLab <notifications@{domain}>"


def send(message: EmailMessage, settings: Settings, name: str) -> None:
    if not settings.smtp_url:
        _write_eml(message, settings.outbox_path, name)
        return
    parts = urlsplit(settings.smtp_url)
    query = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    timeout = 30
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_eml(message: EmailMessage, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.eml.tmp"
    tmp.write_bytes(bytes(message))
    tmp.replace(folder / f"{name}.eml")  # readers never see half a file
