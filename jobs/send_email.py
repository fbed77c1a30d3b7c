"""Mail jobs: send one queued mail by id; sweep what is due."""

from __future__ import annotations

from flask import current_app

from jobs.queue import jobs
from workspace.config import settings_of
from workspace.notifications import outgoing


def send(mail_id: int) -> str:
    return outgoing.send_mail(mail_id, settings_of(current_app))


def sweep() -> int:
    ids = outgoing.due_mail_ids()
    for mail_id in ids:
        jobs.enqueue("jobs.send_email.send", mail_id, job_id=f"mail:{mail_id}", queue="email")
    return len(ids)
