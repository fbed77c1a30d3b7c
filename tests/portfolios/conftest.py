"""Background jobs for these tests: in-process by default; on the Redis
backend a real `flask --app wsgi worker` process runs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import USE_REDIS


@pytest.fixture
def worker(app: Any) -> Iterator[Any]:
    from jobs.outbox import process_outbox
    from tests.webhooks.receiver import start_worker, stop_process

    with app.app_context():
        process_outbox()  # consumers start following the log now
    proc = start_worker(app.extensions["jointlab.settings"]) if USE_REDIS else None
    yield app
    if proc is not None:
        stop_process(proc)
