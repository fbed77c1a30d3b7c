"""Mail, `standard` webhooks and chat bots go through one delivery engine:
the same retry policy (schedule, jitter, give-up) and the same lease (a
lease left by a crashed worker is claimed again once, and the crashed
worker's late answer does not overwrite the new holder's). Real SMTP server
(aiosmtpd) and a real HTTP receiver; no worker, so only the test claims."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from tests.conftest import free_port
from tests.webhooks.receiver import Receiver, Reply

JITTER = 1.1


class Smtp:
    """Accepts, or answers 451 (try again later) to every recipient."""

    def __init__(self) -> None:
        self.refuse = False
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if self.refuse:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.accepted += 1
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Smtp, int]]:
    handler, port = Smtp(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def settings(settings: Any, smtp: tuple[Smtp, int]) -> Any:
    from workspace.notifications.outgoing import RETRY_WAITS

    # Webhooks on the mail's schedule: one policy gives one answer to both.
    return settings.with_overrides(
        smtp_url=f"smtp://127.0.0.1:{smtp[1]}",
        webhook_retry_schedule=RETRY_WAITS,
        webhook_timeout=2.0,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def fixed_jitter(monkeypatch: pytest.MonkeyPatch) -> float:
    from workspace.delivery import policy

    monkeypatch.setattr(policy, "jitter", lambda: JITTER)
    return JITTER


def _mail(make: Any) -> int:
    from workspace.db import db
    from workspace.notifications.models import OutgoingMail

    user = make.user()
    with db.transaction() as s:
        mail = OutgoingMail(user_id=user.id, kind="immediate", reason="mention", event_id=None)
        s.add(mail)
        s.flush()
        return mail.id


def _delivery(make: Any, url: str, fmt: str) -> int:
    from workspace.db import db
    from workspace.webhooks.models import Delivery, WebhookEndpoint

    ws = make.workspace()
    with db.transaction() as s:
        # Subscribed to nothing the test makes happen: the app's own fan-out
        # then never wakes a drain that would claim the row before the test.
        endpoint = WebhookEndpoint(
            workspace_id=ws.id,
            url=url,
            events=["trial.created"],
            format=fmt,
            secret="whsec_" + "A" * 32 if fmt == "standard" else None,
        )
        s.add(endpoint)
        s.flush()
        delivery = Delivery(
            endpoint_id=endpoint.id,
            event_id=None,
            event_type="webhook.ping",
            message_id=f"msg_{uuid.uuid4().hex[:10]}",
            payload={"type": "webhook.ping", "id": "evt_x", "data": {}, "workspace_id": ws.id},
        )
        s.add(delivery)
        s.flush()
        return delivery.id


def _row(model: Any, row_id: int) -> Any:
    from workspace.db import db

    with db.reading() as s:
        row = s.get(model, row_id)
        s.expunge(row)
        return row


def _set(model: Any, row_id: int, **values: Any) -> None:
    from workspace.db import db

    with db.transaction() as s:
        s.execute(update(model).where(model.id == row_id).values(**values))


def _send_standard(settings: Any, token: str) -> list[Any]:
    from workspace.webhooks import batch, transport

    claimed = batch.claim(10, token, settings)
    with transport.Sender(timeout=2.0, allow_private=True) as sender:
        sent = [batch.send(sender, item) for item in claimed]
    batch.record(sent, token, settings)
    return claimed


def _send_bot(settings: Any, delivery_id: int) -> str:
    from workspace.webhooks import bots, transport
    from workspace.webhooks.models import Delivery

    with transport.Sender(timeout=2.0, allow_private=True) as sender:
        return bots.deliver_endpoint(_row(Delivery, delivery_id).endpoint_id, sender, settings)


def _wait_of(row: Any, before: Any, after: Any) -> tuple[float, float]:
    return (
        (row.next_attempt_at - after).total_seconds(),
        (row.next_attempt_at - before).total_seconds(),
    )


def test_mail_webhooks_and_bots_retry_on_one_schedule_and_give_up_alike(
    app, make, settings, smtp, receiver, fixed_jitter
):
    from workspace.db import utcnow
    from workspace.notifications.models import OutgoingMail
    from workspace.notifications.outgoing import MAX_ATTEMPTS, RETRY_WAITS, send_mail
    from workspace.webhooks.models import Delivery

    smtp[0].refuse = True
    receiver.default = Reply(500, "down")
    mail_id = _mail(make)
    hook_id = _delivery(make, receiver.url + "/hook", "standard")
    bot_id = _delivery(make, receiver.url + "/bot?key=k", "wecom")

    before = utcnow()
    with app.app_context():
        assert send_mail(mail_id, settings).startswith("pending: ")
    assert [c.delivery_id for c in _send_standard(settings, "t1")] == [hook_id]
    assert _send_bot(settings, bot_id).startswith("failed: ")
    after = utcnow()

    first_wait = RETRY_WAITS[0] * fixed_jitter
    mail, hook, bot = (_row(OutgoingMail, mail_id), _row(Delivery, hook_id), _row(Delivery, bot_id))
    for row in (mail, hook, bot):
        low, high = _wait_of(row, before, after)
        assert row.status == "pending" and low <= first_wait <= high, row
        assert row.leased_until is None and row.lease_token is None
    assert mail.attempts == hook.attempts_in_round == bot.attempts_in_round == 1
    assert "451" in mail.error

    # The last attempt the schedule allows fails for good, in all three.
    _set(OutgoingMail, mail_id, attempts=MAX_ATTEMPTS - 1, next_attempt_at=utcnow())
    _set(Delivery, hook_id, attempts_in_round=MAX_ATTEMPTS - 1, next_attempt_at=utcnow())
    _set(Delivery, bot_id, attempts_in_round=MAX_ATTEMPTS - 1, next_attempt_at=utcnow())
    with app.app_context():
        assert send_mail(mail_id, settings).startswith("failed: ")
    _send_standard(settings, "t2")
    _send_bot(settings, bot_id)
    mail, hook, bot = (_row(OutgoingMail, mail_id), _row(Delivery, hook_id), _row(Delivery, bot_id))
    assert (mail.status, hook.status, bot.status) == ("failed", "failed", "failed")
    assert mail.attempts == hook.attempts_in_round == bot.attempts_in_round == MAX_ATTEMPTS


def test_a_lease_left_by_a_crashed_worker_is_claimed_again_once(
    app, make, settings, smtp, receiver
):
    """Each channel: a worker claims and dies; after the lease ends the row
    is claimed by exactly one other worker and sent once; the dead worker's
    late answer (a failure) does not overwrite the success."""
    from workspace.db import db, utcnow
    from workspace.delivery.lease import Settled
    from workspace.delivery.policy import FAILED
    from workspace.notifications import outgoing
    from workspace.notifications.models import OutgoingMail
    from workspace.webhooks import batch, bots
    from workspace.webhooks.leases import LEASE
    from workspace.webhooks.models import Delivery, DeliveryAttempt

    receiver.default = Reply(200, '{"errcode":0}')
    mail_id = _mail(make)
    hook_id = _delivery(make, receiver.url + "/hook", "standard")
    bot_id = _delivery(make, receiver.url + "/bot?key=k", "wecom")
    expired = utcnow() - timedelta(seconds=1)

    # The crashed worker's claims.
    with db.transaction() as s:
        assert outgoing.LEASE.claim(s, [mail_id], "dead-mail", 120, utcnow(), when_due=False)
    assert [c.delivery_id for c in batch.claim(10, "dead-hook", settings)] == [hook_id]
    with app.app_context():
        dead_bot = bots._claim(_row(Delivery, bot_id).endpoint_id, settings)
    assert dead_bot.ids == [bot_id]

    # While the leases hold, nobody else takes the rows.
    with app.app_context():
        assert outgoing.send_mail(mail_id, settings) == "nothing to do"
    assert _send_standard(settings, "early") == []
    assert _send_bot(settings, bot_id) == "nothing to do"

    _set(OutgoingMail, mail_id, leased_until=expired)
    _set(Delivery, hook_id, leased_until=expired)
    _set(Delivery, bot_id, leased_until=expired)

    with app.app_context():
        assert outgoing.send_mail(mail_id, settings) == "sent"
        assert outgoing.send_mail(mail_id, settings) == "nothing to do"
    assert [c.delivery_id for c in _send_standard(settings, "alive")] == [hook_id]
    assert _send_standard(settings, "late") == []
    assert _send_bot(settings, bot_id) == "succeeded"
    assert _send_bot(settings, bot_id) == "nothing to do"
    assert smtp[0].accepted == 1
    assert sorted(r.path for r in receiver.requests) == ["/bot?key=k", "/hook"]

    # The dead workers come back with failures: logged, not applied.
    now = utcnow()
    with db.transaction() as s:
        outgoing.LEASE.settle(s, "dead-mail", [Settled(mail_id, FAILED, 1, "late")], now)
        LEASE.settle(s, "dead-hook", [Settled(hook_id, FAILED, 1, "late")], now)
    from workspace.webhooks import transport

    bots._record(
        dead_bot,
        bots.formats.Request(dead_bot.url, b"", {}),
        transport.Result(500, "late", 1, None),
        settings,
    )
    mail, hook, bot = (_row(OutgoingMail, mail_id), _row(Delivery, hook_id), _row(Delivery, bot_id))
    assert (mail.status, mail.attempts, mail.error) == ("sent", 2, None)
    assert (hook.status, bot.status) == ("succeeded", "succeeded")
    with db.reading() as s:
        logged = s.scalars(
            select(DeliveryAttempt.succeeded)
            .where(DeliveryAttempt.delivery_id == bot_id)
            .order_by(DeliveryAttempt.id)
        ).all()
    assert logged == [True, False]
