from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import USE_REDIS, free_port
from tests.webhooks.receiver import start_worker, stop_process, wait_listening


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    smtp[0].messages.clear()
    return smtp[0]


@pytest.fixture
def settings(settings: Any, smtp: tuple[Inbox, int]) -> Any:
    return settings.with_overrides(
        smtp_url=f"smtp://127.0.0.1:{smtp[1]}", public_url="https://jointlab.example.cn"
    )


@pytest.fixture
def ready(app: Any) -> Any:
    from jobs.outbox import process_outbox

    with app.app_context():
        process_outbox()
    proc = start_worker(app.extensions["jointlab.settings"]) if USE_REDIS else None
    if proc is not None:
        # A worker takes seconds to import the app, more with a test running
        # beside it (tests/run runs two): the tests' waits for a delivery or
        # a mail start once it listens, so they time the work, not the start.
        wait_listening(proc)
    yield app
    if proc is not None:
        stop_process(proc)
