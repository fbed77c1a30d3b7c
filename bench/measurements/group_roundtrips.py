"""Statements, round trips and the leader's CPU for measurement batches: a
group of 4 batches of 1,000 readings committed together (ingest_writer's
leader) against the same 4 committed one by one (groups of 1, and with
BENCH_OLD_MEASUREMENTS=path the record_measurements of an earlier
measurements.py, e.g. `git show 087f737:workspace/trials/measurements.py`).
Load-insensitive: counts the leader's round trips to PostgreSQL from libpq's
own trace of the protocol (each turn from messages sent to messages received
is one wait for the server: pipelined statements share one) and the leader's
time.process_time(). Not a throughput benchmark.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/jl_group_micro \\
        .venv/bin/python bench/measurements/group_roundtrips.py
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from seeding import METRICS, seeded_app  # noqa: E402
from sqlalchemy import event  # noqa: E402

from workspace.auth.models import User  # noqa: E402
from workspace.db import db  # noqa: E402
from workspace.documents.group_commit import Pending, Take  # noqa: E402
from workspace.trials import ingest_writer  # noqa: E402
from workspace.trials.readings import Readings  # noqa: E402

SIZE, GROUP, RUNS = 1_000, 4, 5


class RoundTrips:
    """The round trips of this thread's connections (the app's event
    consumers run on the same engine in threads of their own), read from
    libpq's trace: every change from frontend (F) to backend (B) messages.
    libpq appends to the file (O_APPEND) and flushes as a connection is
    checked in, untraced; `take` reads what came since with its own offset."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        fd, path = tempfile.mkstemp(prefix="jl-roundtrips-")
        os.close(fd)
        self.sink = open(path, "a")  # noqa: SIM115 (written by libpq for the whole run)
        self.source = open(path)  # noqa: SIM115
        os.unlink(path)
        self.traced: list[Any] = []

    def checkout(self, dbapi_conn: Any, *_args: Any) -> None:
        if threading.get_ident() == self.thread:
            from psycopg import pq

            dbapi_conn.pgconn.trace(self.sink.fileno())
            dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            self.traced.append(dbapi_conn)

    def checkin(self, dbapi_conn: Any, *_args: Any) -> None:
        if dbapi_conn in self.traced:
            dbapi_conn.pgconn.untrace()
            self.traced.remove(dbapi_conn)

    def take(self) -> int:
        """Round trips since the last take."""
        turns, last = 0, ""
        for line in self.source.read().splitlines():
            side = line[:1]
            if side == "B" and last == "F":
                turns += 1
            if side in ("F", "B"):
                last = side
        return turns


def rows_of(n: int) -> list[dict[str, Any]]:
    """Readings as dicts (BENCH_OLD_MEASUREMENTS takes them so)."""
    return [
        {
            "metric": METRICS[i % 3],
            "value": 50.0 + (n * 7 + i) % 17 / 10,
            "recorded_at": None,
            "source": "line-1",
        }
        for i in range(SIZE)
    ]


def group_commit(owner: User, trial_id: int, keys: list[str]) -> Cpu:
    """What a leader does with `keys` queued: the CPU of its commit."""
    batches = [
        ingest_writer.Batch.of(owner, Readings.of_rows(rows_of(n)), k) for n, k in enumerate(keys)
    ]
    take: Take[Any] = Take(ingest_writer.writers, deque(Pending(b) for b in batches))
    start = Cpu.now()
    ingest_writer._commit(trial_id, take)
    spent = Cpu.now() - start
    assert all(item.done and item.error is None for item in take.taken)
    return spent


def old_commit(old: Any, owner: User, trial_id: int, key: str) -> Cpu:
    rows = rows_of(0)
    start = Cpu.now()
    with db.transaction() as s:
        old.record_measurements(s, owner, trial_id, rows, key)
    return Cpu.now() - start


class Cpu(tuple[float, float]):
    """process_time (every thread: the app's event consumers too) and
    thread_time (the leader's own)."""

    @staticmethod
    def now() -> Cpu:
        return Cpu((time.process_time(), time.thread_time()))

    def __sub__(self, other: Any) -> Cpu:
        return Cpu((self[0] - other[0], self[1] - other[1]))

    def __add__(self, other: Any) -> Cpu:
        return Cpu((self[0] + other[0], self[1] + other[1]))

    def __radd__(self, other: Any) -> Cpu:
        return self if other == 0 else self + other


def main() -> None:
    app, info, _env = seeded_app()
    trial_id = info["trial_id"]
    engine = db.engine
    assert engine is not None
    postgres = engine.dialect.name == "postgresql"
    with db.reading() as s:
        owner = s.query(User).filter_by(email="o@bench.test").one()
    if not postgres:
        sys.exit("round trips are counted on PostgreSQL: set BENCH_DATABASE_URL")
    trips = RoundTrips()
    event.listen(engine, "checkout", trips.checkout)
    event.listen(engine, "checkin", trips.checkin)
    old = None
    if os.environ.get("BENCH_OLD_MEASUREMENTS"):
        spec = importlib.util.spec_from_file_location(
            "old_measurements", os.environ["BENCH_OLD_MEASUREMENTS"]
        )
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)

    def measure(name: str, run: Any) -> None:
        spent, counted = [], []
        for r in range(RUNS + 1):  # the first warms SQLAlchemy's and psycopg's caches
            trips.take()
            cpu = run(f"{name}-{r}")
            if r:
                spent.append(cpu)
                counted.append(trips.take())
        rt = statistics.median(counted)
        process = statistics.median(c[0] for c in spent) * 1000
        thread = statistics.median(c[1] for c in spent) * 1000
        print(
            f"{name:>10}: {GROUP} batches of {SIZE}: {rt:.0f} round trips "
            f"({rt / GROUP:.1f} a batch); process_time {process:.1f} ms "
            f"({process / GROUP:.1f} a batch), thread_time {thread:.1f} ms "
            f"({thread / GROUP:.1f} a batch); medians of {RUNS}"
        )

    with app.app_context():
        measure(
            "group",
            lambda tag: group_commit(owner, trial_id, [f"{tag}-{n}" for n in range(GROUP)]),
        )
        measure(
            "one-by-one",
            lambda tag: sum(group_commit(owner, trial_id, [f"{tag}-{n}"]) for n in range(GROUP)),
        )
        if old is not None:
            measure(
                "old",
                lambda tag: sum(
                    old_commit(old, owner, trial_id, f"{tag}-{n}") for n in range(GROUP)
                ),
            )
    print(f"database: {engine.dialect.name}")


if __name__ == "__main__":
    main()
