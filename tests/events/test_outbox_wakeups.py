"""The outbox's wake-ups (jobs/queue.py `Waker`): under a stream of commits a
process queues one run of the outbox per `every` seconds, not one per commit,
yet no commit's events wait for a run that never comes, and after a quiet
spell a run is queued at once."""

from __future__ import annotations

import threading
import time

from jobs.queue import Waker


class Queued:
    """What the waker queued, with when (the enqueue it is given)."""

    def __init__(self) -> None:
        self.runs: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, path: str, job_id: str) -> None:
        assert (path, job_id) == ("jobs.outbox.process_outbox", "outbox")
        with self.lock:
            self.runs.append(time.monotonic())


def test_a_commit_after_a_quiet_spell_wakes_the_outbox_at_once() -> None:
    queued = Queued()
    waker = Waker(queued, every=0.2)
    try:
        asked = time.monotonic()
        waker.request("jobs.outbox.process_outbox", "outbox")
        deadline = asked + 5
        while not queued.runs and time.monotonic() < deadline:
            time.sleep(0.005)
        assert queued.runs and queued.runs[0] - asked < 0.1
    finally:
        waker.stop()


def test_a_stream_of_commits_queues_a_run_per_interval_and_the_last_is_never_dropped() -> None:
    queued = Queued()
    waker = Waker(queued, every=0.1)
    try:
        asked: list[float] = []
        for _ in range(60):  # 60 commits over about 0.6 s
            asked.append(time.monotonic())
            waker.request("jobs.outbox.process_outbox", "outbox")
            time.sleep(0.01)
        deadline = time.monotonic() + 5
        while (not queued.runs or queued.runs[-1] < asked[-1]) and time.monotonic() < deadline:
            time.sleep(0.01)
        runs = list(queued.runs)
        # The last commit's events get a run that starts after it.
        assert runs[-1] >= asked[-1]
        # One run per interval at most (and the first at once), not one per commit.
        assert len(runs) <= 1 + (asked[-1] - asked[0]) / 0.1 + 1, len(runs)
        assert all(b - a >= 0.09 for a, b in zip(runs, runs[1:], strict=False))
    finally:
        waker.stop()


def test_what_is_asked_for_while_waiting_is_queued_when_the_process_stops() -> None:
    queued = Queued()
    waker = Waker(queued, every=30)  # the next run would be half a minute away
    waker.request("jobs.outbox.process_outbox", "outbox")
    deadline = time.monotonic() + 5
    while not queued.runs and time.monotonic() < deadline:
        time.sleep(0.005)
    waker.request("jobs.outbox.process_outbox", "outbox")
    stopped = time.monotonic()
    waker.stop()
    assert len(queued.runs) == 2 and queued.runs[1] - stopped < 1
