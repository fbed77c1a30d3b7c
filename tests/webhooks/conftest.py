from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import USE_REDIS
from tests.webhooks.receiver import (
    Receiver,
    start_worker,
    stop_process,
    wait_listening,
    worker_log,
)


@pytest.fixture
def settings(settings: Any) -> Any:
    # A hanging receiver is cut at this limit (SPEC's 15 s would slow the suite).
    return settings.with_overrides(webhook_timeout=2.0)


@pytest.fixture
def ready(app: Any) -> Any:
    """Start the notifications consumer at the present (a fresh database
    has no cursor yet) and, on the Redis backend, run a real worker."""
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
        print(worker_log(proc))  # pytest shows it only when the test failed
        stop_process(proc)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()
