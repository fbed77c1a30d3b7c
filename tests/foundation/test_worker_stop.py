"""A worker told to stop (SIGTERM from a supervisor, a deploy) exits at once,
however its "stop this job" listener stands: a supervisor kills whatever is
still running after its grace period, mid-job."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import USE_REDIS, wait_for


@pytest.mark.skipif(not USE_REDIS, reason="RQ needs the Redis backend")
def test_unsubscribing_returns_even_when_the_listener_already_read_the_reply(app) -> None:
    from jobs.worker import PUBSUB_STOP_WAIT, _new_worker

    worker = _new_worker(app.extensions["jointlab.redis"])
    worker.subscribe()
    wait_for(lambda: worker.pubsub.subscribed)
    # The listener reads the unsubscribe's reply before it is told to stop:
    # it then waits (RQ: up to 60 s) for a subscription that never comes.
    worker.pubsub.unsubscribe()
    wait_for(lambda: not worker.pubsub.subscribed)

    done = threading.Event()
    started = time.monotonic()
    threading.Thread(target=lambda: (worker.unsubscribe(), done.set()), daemon=True).start()
    assert done.wait(PUBSUB_STOP_WAIT + 5), "the worker would hang on its way out"
    assert time.monotonic() - started < PUBSUB_STOP_WAIT + 1
