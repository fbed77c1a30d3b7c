"""A mail, webhook delivery, export or evidence pack that fails for a reason a
retry cannot fix ends `failed` at once, visibly (its status and error, the
API, /healthz, the page); a transient failure is retried; nothing is retried
for ever. Real SMTP server (aiosmtpd), real receiver, real queue (a worker
process on the Redis backend)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from tests.conftest import free_port, wait_for
from tests.webhooks.receiver import Receiver, emit, reach_milestone

# Timing-sensitive (a retry seen before the next one): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


class Picky:
    """An SMTP server that refuses some mailboxes for good (550) and others
    for now (451), and keeps what it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
def picky() -> Iterator[tuple[Picky, int]]:
    handler, port = Picky(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def settings(settings: Any, picky: tuple[Picky, int]) -> Any:
    picky[0].messages.clear()
    return settings.with_overrides(smtp_url=f"smtp://127.0.0.1:{picky[1]}")


def _mails(user_id: int) -> list[Any]:
    from workspace.db import db
    from workspace.notifications.models import OutgoingMail

    with db.reading() as s:
        return list(s.scalars(select(OutgoingMail).where(OutgoingMail.user_id == user_id)))


def _set(model: Any, row_id: Any, **values: Any) -> None:
    from workspace.db import db

    with db.transaction() as s:
        s.execute(update(model).where(model.id == row_id).values(**values))


def test_a_title_with_a_line_break_is_mailed_once(ready, make, api, picky, client):
    """The issue's case: CR/LF in a milestone title made composing raise
    outside the attempt's bookkeeping, and the mail was retried for ever."""
    from workspace.milestones.models import Milestone

    ws = make.workspace()
    owner = api.as_(ws.owner)
    m = owner.post(f"/workspaces/{ws.id}/milestones", json={"title": "x"}).get_json()
    _set(Milestone, m["id"], title="Pilot\r\nBcc: someone@evil.example")  # an older row
    assert owner.post(f"/milestones/{m['id']}/reach").status_code == 200
    mail = wait_for(
        lambda: [x for x in picky[0].messages if ws.partner.email in str(x["To"])], timeout=20
    )[0]
    assert mail["Subject"].endswith("Milestone reached: Pilot Bcc: someone@evil.example")
    assert mail["Bcc"] is None
    rows = wait_for(
        lambda: (lambda r: r if r and r[0].status == "sent" else None)(_mails(ws.partner.id)),
        timeout=10,
    )
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)]
    assert client.get("/healthz").get_json()["mail"] == {"pending": 0, "failed": 0}


def test_mail_fails_for_good_at_once_and_retries_what_may_pass(
    ready, make, api, app, client, picky
):
    from jobs.send_email import sweep
    from workspace.auth.models import User

    gone = make.user(side="university", email="gone-lead@example.test")
    busy = make.user(side="university", email="busy-lead@example.test")
    broken = make.user(side="university")
    ws = make.workspace(members={"viewer": gone, "viewer2": busy, "viewer3": broken})
    # An address stored by an older version that no mail header can carry.
    _set(User, broken.id, email="broken\r\nlead@example.test")
    reach_milestone(api, ws)

    def settled(user_id: int, status: str) -> Any:
        rows = _mails(user_id)
        return rows if rows and rows[0].status == status and rows[0].leased_until is None else None

    refused = wait_for(lambda: settled(gone.id, "failed"), timeout=20)[0]
    assert refused.attempts == 1 and "550" in refused.error and "for good" in refused.error
    uncomposable = wait_for(lambda: settled(broken.id, "failed"), timeout=20)[0]
    assert uncomposable.attempts == 1 and "ValueError" in uncomposable.error
    later = wait_for(
        lambda: (lambda r: r if r and r[0].attempts == 1 and r[0].leased_until is None else None)(
            _mails(busy.id)
        ),
        timeout=20,
    )[0]
    assert later.status == "pending" and "451" in later.error
    assert later.next_attempt_at > later.created_at  # waits, then tries again
    # The sweep leaves what ended alone; nothing reached either mailbox.
    with app.app_context():
        assert sweep() == 0
    assert [x for x in picky[0].messages if "gone" in str(x["To"]) or "busy" in str(x["To"])] == []
    # The partner's mail goes out beside them; wait until it is recorded as
    # sent, so that only the one waiting to retry is pending.
    wait_for(lambda: settled(ws.partner.id, "sent"), timeout=20)
    assert any(ws.partner.email in str(x["To"]) for x in picky[0].messages)
    report = client.get("/healthz").get_json()
    assert report["mail"] == {"pending": 1, "failed": 2}


def test_a_mail_that_keeps_crashing_its_worker_ends(app, make):
    """Attempts are counted when claimed: a mail whose attempts never came
    back (the process died each time) is failed on the next claim."""
    from jobs.send_email import send
    from workspace.db import db, utcnow
    from workspace.notifications.models import OutgoingMail
    from workspace.notifications.outgoing import MAX_ATTEMPTS

    user = make.user()
    with db.transaction() as s:
        mail = OutgoingMail(
            user_id=user.id,
            kind="immediate",
            reason="x",
            status="pending",
            attempts=MAX_ATTEMPTS,
            next_attempt_at=utcnow(),
        )
        s.add(mail)
        s.flush()
        mail_id = mail.id
    with app.app_context():
        assert send(mail_id).startswith("failed: gave up after")
    row = _mails(user.id)[0]
    assert row.status == "failed" and row.leased_until is None


def test_a_delivery_that_cannot_be_composed_fails_once(ready, make, api, client):
    """A secret no signature can be made with (left by an older version), a
    bot delivery whose event is gone: failed with the reason, never resent."""
    from workspace.db import db, utcnow
    from workspace.webhooks.models import Delivery, WebhookEndpoint

    receiver = Receiver()
    try:
        ws = make.workspace()
        owner = api.as_(ws.owner)
        hook = owner.post(
            f"/workspaces/{ws.id}/webhooks",
            json={"url": receiver.url + "/h", "events": ["milestone.*"]},
        ).get_json()
        bot = owner.post(
            f"/workspaces/{ws.id}/webhooks",
            json={"url": receiver.url + "/bot", "events": ["webhook.disabled"], "format": "wecom"},
        ).get_json()
        _set(WebhookEndpoint, hook["id"], secret="whsec_")
        with db.transaction() as s:
            s.add(
                Delivery(
                    endpoint_id=bot["id"],
                    event_type="webhook.ping",
                    message_id="m-x",
                    payload=None,
                    event_id=None,
                    status="pending",
                    next_attempt_at=utcnow(),
                )
            )
        emit(ws.id, "milestone.created", {"milestone": {"id": 1, "title": "T"}})

        def ended(hook_id: int) -> Any:
            items = owner.get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]
            return items if items and all(i["status"] == "failed" for i in items) else None

        for hook_id in (hook["id"], bot["id"]):
            items = wait_for(lambda h=hook_id: ended(h), timeout=20)
            assert [len(i["attempts"]) for i in items] == [1] * len(items)
            assert items[0]["attempts"][0]["error"].startswith("could not compose")
        # WEBHOOK_RETRY_SCHEDULE is 1,1,1 here: a retry would have come by now.
        time.sleep(3)
        for hook_id in (hook["id"], bot["id"]):
            items = owner.get(f"/webhooks/{hook_id}/deliveries").get_json()["items"]
            assert [len(i["attempts"]) for i in items] == [1] * len(items)
        assert receiver.requests == []
        assert client.get("/healthz").get_json()["webhooks"]["failed_deliveries"] == 2
    finally:
        receiver.stop()


def test_an_export_whose_job_crashes_ends_failed_and_the_page_says_so(
    ready, make, api, app, client
):
    from jobs.queue import jobs
    from workspace.db import db
    from workspace.exports.models import ExportTask

    manager = make.manager()
    # Refused now before its 202; a task queued by an older version still runs.
    assert (
        api.as_(manager)
        .post("/exports", json={"format": "csv", "organization_id": 2**70})
        .status_code
        == 422
    )
    assert (
        api.as_(manager)
        .post("/exports", json={"format": "csv", "organization_id": 987654})
        .status_code
        == 422
    )
    with db.transaction() as s:
        s.add(
            ExportTask(
                id="export-legacy",
                user_id=manager.id,
                format="csv",
                params={"organization_id": 2**70},
                status="queued",
            )
        )
    jobs.enqueue("workspace.exports.build.run_export", "export-legacy", job_id="export-legacy")

    def ended() -> Any:
        task = api.as_(manager).get("/exports/export-legacy").get_json()
        return task if task["status"] not in ("queued", "running") else None

    task = wait_for(ended, timeout=20)
    assert task["status"] == "failed" and task["download_url"] is None
    assert "OverflowError" in task["error"] or "DataError" in task["error"]
    assert client.get("/healthz").get_json()["exports"] == {"queued": 0, "running": 0, "failed": 1}
    assert api.as_(manager).get("/exports/export-legacy/download").status_code == 409
    # The dashboard lists it, failed, with the reason, though the page that
    # asked for it is long closed.
    login = client.post(
        "/api/v1/auth/login", json={"email": manager.email, "password": manager.password}
    )
    assert login.status_code == 200
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="recent-exports"' in page and 'data-status="failed"' in page
    assert "The export failed:" in page


def test_lost_and_stalled_exports_are_picked_up_or_ended(ready, make, api, app):
    from datetime import timedelta

    from workspace.db import db, utcnow
    from workspace.exports.build import MAX_ATTEMPTS, sweep
    from workspace.exports.models import ExportTask

    manager = make.manager()
    long_ago = utcnow() - timedelta(hours=1)
    with db.transaction() as s:
        # Queued while Redis was down: no job was ever made for it.
        s.add(
            ExportTask(
                id="export-lost",
                user_id=manager.id,
                format="csv",
                params={},
                status="queued",
                created_at=long_ago,
            )
        )
        # Its worker was killed, again and again.
        s.add(
            ExportTask(
                id="export-stalled",
                user_id=manager.id,
                format="xlsx",
                params={},
                status="running",
                attempts=MAX_ATTEMPTS,
                created_at=long_ago,
                updated_at=long_ago,
            )
        )
    with app.app_context():
        assert sweep() == 2

    def status(task_id: str) -> Any:
        task = api.as_(manager).get(f"/exports/{task_id}").get_json()
        return task if task["status"] in ("done", "failed") else None

    assert wait_for(lambda: status("export-lost"), timeout=20)["status"] == "done"
    stalled = wait_for(lambda: status("export-stalled"), timeout=20)
    assert stalled["status"] == "failed" and "gave up" in stalled["error"]
    with app.app_context():
        assert sweep() == 0


def test_an_evidence_pack_that_cannot_be_built_fails_visibly(ready, make, api, client):
    from workspace.evidence.build import build_pending_packs

    ws = make.workspace()
    owner = api.as_(ws.owner)
    m = owner.post(f"/workspaces/{ws.id}/milestones", json={"title": "Pilot"}).get_json()
    # An event of a shape the pack's decision log cannot read (as an older
    # version or a bug could have left): the build fails the same way each time.
    emit(ws.id, "trial.completed", {"trial": "#1 (imported)"})
    assert owner.post(f"/milestones/{m['id']}/reach").status_code == 200

    def ended() -> Any:
        body = owner.get(f"/milestones/{m['id']}/evidence").get_json()
        return body if body.get("status") in ("ready", "failed") else None

    pack = wait_for(ended, timeout=30)
    assert pack["status"] == "failed" and "AttributeError" in pack["error"]
    assert owner.get(f"/milestones/{m['id']}/evidence.pdf").status_code == 409
    events = wait_for(
        lambda: [
            e
            for e in owner.get(f"/workspaces/{ws.id}/events").get_json()["items"]
            if e["type"] == "milestone.evidence_failed"
        ],
        timeout=10,
    )
    assert events[0]["data"]["milestone"] == {"id": m["id"], "title": "Pilot"}
    assert client.get("/healthz").get_json()["evidence_packs"] == {"pending": 0, "failed": 1}
    assert build_pending_packs() == 0  # a failed pack is not rebuilt for ever
