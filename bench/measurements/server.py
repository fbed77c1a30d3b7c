"""Benchmark servers (run by bench/measurements/run.py, not by hand).

Serves, in one process and the same way (gevent's WSGI server, patched
first, as `python wsgi.py` does): the JointLab app with a seeded running trial, and a
bare Flask app whose only endpoint parses the same JSON and stores the rows in
one transaction, into a table shaped and indexed as `measurements` (COPY on
PostgreSQL, executemany on SQLite). Prints one JSON line with the ports and
tokens, then serves until killed.

BENCH_SEED_READINGS=N first gives the trial N readings of the past (and the
bare table as many), in SQL (generate_series on PostgreSQL), with the running
aggregates they would have left: the same load then shows whether a batch
costs more on a trial that already holds a million.

With BENCH_PROFILE=yappi-cpu (CPU time, all threads) or yappi-wall, SIGUSR1
starts the profiler and SIGUSR2 stops it and writes `<BENCH_PROFILE_OUT>.N.pstat`
and a text summary `.N.txt` (N counts the phases), so run.py can profile each
load phase of the real server process. py-spy cannot attach on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if __name__ == "__main__":
    # As `python wsgi.py`: gevent, patched before anything else is imported.
    from workspace import cooperative

    cooperative.patch()

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402

from flask import Flask, jsonify, request  # noqa: E402

BARE_TABLE = "bare_measurements"
METRICS = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")


def bare_app(url: str, trial_id: int) -> Flask:
    """Parse the same JSON and store its rows in one transaction: the floor
    any ingestion endpoint pays (issue 14's peer)."""
    import queue
    from datetime import UTC, datetime

    app = Flask("bare")
    postgres = url.startswith("postgresql")
    pool: queue.SimpleQueue = queue.SimpleQueue()

    def connection():  # noqa: ANN202
        try:
            return pool.get_nowait()
        except queue.Empty:
            if postgres:
                import psycopg

                return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
            import sqlite3

            return sqlite3.connect(
                url.removeprefix("sqlite:///"), timeout=30, check_same_thread=False
            )

    @app.post("/parse")
    def parse():  # noqa: ANN202
        body = json.loads(request.get_data())
        items = body if isinstance(body, list) else [body]
        now = datetime.now(UTC)
        rows = [
            (trial_id, item["metric"], float(item["value"]), now, item.get("source"))
            for item in items
        ]
        conn = connection()
        try:
            if postgres:
                with (
                    conn.transaction(),
                    conn.cursor() as cur,
                    cur.copy(
                        f"COPY {BARE_TABLE} (trial_id, metric, value, recorded_at, source) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                with conn:
                    conn.executemany(
                        f"INSERT INTO {BARE_TABLE} (trial_id, metric, value, recorded_at, "
                        "source) VALUES (?, ?, ?, ?, ?)",
                        [
                            (t, m, v, at.strftime("%Y-%m-%d %H:%M:%S.%f"), src)
                            for t, m, v, at, src in rows
                        ],
                    )
        finally:
            pool.put(conn)
        return jsonify({"count": len(rows)}), 201

    return app


def bare_table():  # noqa: ANN201
    """Shaped and indexed as `measurements`, without its foreign keys."""
    from sqlalchemy import Column, Index, MetaData, Table

    from workspace.trials.models import Measurement

    table = Table(
        BARE_TABLE,
        MetaData(),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in Measurement.__table__.columns
        ),
    )
    Index(
        f"ix_{BARE_TABLE}_trial_metric",
        table.c.trial_id,
        table.c.metric,
        table.c.recorded_at,
        table.c.id,
    )
    return table


def create_bare_table(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    table = bare_table()
    table.drop(engine, checkfirst=True)
    table.create(engine)
    engine.dispose()


# Readings of the past: a value and a metric per row number `g`, recorded `n - g` ms ago.
SEED_PG = """
INSERT INTO {table} (trial_id, metric, value, recorded_at, source)
SELECT :trial, (ARRAY['porosity_scrap_pct','cycle_time_s','tensile_mpa'])[g % 3 + 1],
       50.0 + (g % 17) / 10.0, now() - (:n - g) * interval '1 millisecond', 'seed'
FROM generate_series(0, :n - 1) AS g
"""
STATS = """
INSERT INTO trial_metric_stats (trial_id, metric, count, total, minimum, maximum,
                                last_value, last_recorded_at, first_value, moving_range_total)
SELECT trial_id, metric, COUNT(*), SUM(value), MIN(value), MAX(value),
       (ARRAY_AGG(value ORDER BY recorded_at DESC, id DESC))[1], MAX(recorded_at),
       (ARRAY_AGG(value ORDER BY recorded_at, id))[1],
       COALESCE(SUM(ABS(value - previous)), 0)
FROM (SELECT trial_id, metric, value, recorded_at, id,
             LAG(value) OVER (PARTITION BY metric ORDER BY recorded_at, id) AS previous
      FROM measurements WHERE trial_id = :trial) x
GROUP BY trial_id, metric
"""


def seed_readings(url: str, trial_id: int, n: int) -> None:
    """N readings of the past for the trial (and as many in the bare table),
    with the running aggregates they leave."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, insert, text

    from workspace.trials import measurements as ms
    from workspace.trials.models import Measurement

    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("measurements", BARE_TABLE):
                conn.execute(text(SEED_PG.format(table=table)), {"trial": trial_id, "n": n})
            conn.execute(text(STATS), {"trial": trial_id})
            conn.execute(text("ANALYZE measurements"))
        else:
            # SQLite: in Python, through the model's own types, in chunks.
            from sqlalchemy.orm import Session

            start = datetime.now(UTC) - timedelta(milliseconds=n)
            rows = [
                {
                    "trial_id": trial_id,
                    "metric": METRICS[g % 3],
                    "value": 50.0 + (g % 17) / 10,
                    "source": "seed",
                    "recorded_at": start + timedelta(milliseconds=g),
                }
                for g in range(n)
            ]
            bare = bare_table()
            for i in range(0, n, 50_000):
                conn.execute(insert(Measurement.__table__), rows[i : i + 50_000])
                conn.execute(insert(bare), rows[i : i + 50_000])
            with Session(bind=conn) as session:
                ms._update_stats(session, trial_id, rows)
                session.flush()
    engine.dispose()


def fresh_database(url: str) -> None:
    """Drop and recreate a PostgreSQL bench database, migrated to head, so each
    run starts from the same empty state as the SQLite one."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from workspace.migrations import upgrade

    target = make_url(url)
    name = target.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"BENCH_DATABASE_URL: choose a plain database name, not {name!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    upgrade(url)


def seeded_app():  # noqa: ANN201
    from workspace import cooperative
    from workspace.app import create_app
    from workspace.auth.service import create_user
    from workspace.auth.tokens import create_token
    from workspace.config import load_settings
    from workspace.db import db
    from workspace.organizations.models import Organization
    from workspace.trials import service as trials
    from workspace.workspaces import service as workspaces

    tmp = Path(tempfile.mkdtemp(prefix="jl-bench-"))
    env = {
        "SECRET_KEY": "bench-secret-key-0123456789",
        "INSTANCE_PATH": str(tmp),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db",
    }
    if os.environ.get("BENCH_DATABASE_URL"):
        fresh_database(env["DATABASE_URL"])
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
        env["REDIS_NAMESPACE"] = os.environ.get("BENCH_REDIS_NAMESPACE", "jl-bench-measurements")
    app = create_app(load_settings(env), async_mode=cooperative.mode())
    with db.transaction() as s:
        ent, uni = (
            Organization(name="E", kind="enterprise"),
            Organization(name="U", kind="university"),
        )
        s.add_all([ent, uni])
        s.flush()
        manager = create_user(
            s,
            email="m@bench.test",
            name="M",
            password="benchmark-pw",
            role="manager",
            organization_id=None,
            locale="en",
        )
        owner = create_user(
            s,
            email="o@bench.test",
            name="O",
            password="benchmark-pw",
            role="member",
            organization_id=ent.id,
            locale="en",
        )
        ws = workspaces.create_workspace(
            s, manager, title="Bench", summary="", enterprise_id=ent.id, university_id=uni.id
        )
        workspaces.add_member(s, manager, ws.id, owner.id, "owner")
        for key in ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa"):
            trials.create_indicator(
                s,
                owner,
                ws.id,
                {
                    "key": key,
                    "label": key,
                    "unit": "",
                    "comparator": "<=",
                    "target": 100.0,
                    "aggregate": "mean",
                    "lower_spec": None,
                    "upper_spec": None,
                },
            )
        trial = trials.create_trial(s, owner, ws.id, {"title": "bench", "parameters": {}})
        trials.change_status(s, owner, trial, "running")
        _r, line_token = create_token(s, owner, "line", ["measurements:write"])
        _r, read_token = create_token(s, manager, "watch", ["read"])
        info = {
            "workspace_id": ws.id,
            "trial_id": trial.id,
            "line_token": line_token,
            "read_token": read_token,
        }
    create_bare_table(env["DATABASE_URL"])
    seeded = int(os.environ.get("BENCH_SEED_READINGS") or 0)
    if seeded:
        seed_readings(env["DATABASE_URL"], info["trial_id"], seeded)
    info["seeded_readings"] = seeded
    return app, info, env


def install_profiler(kind: str, out: str) -> None:
    """Profile phases on SIGUSR1 / SIGUSR2 (see the module docstring)."""
    import io
    import pstats

    import yappi

    yappi.set_clock_type("cpu" if kind == "yappi-cpu" else "wall")
    # Group threads by what they run ("Thread-7 (writer)" -> "Thread (writer)").
    yappi.set_context_name_callback(lambda: re.sub(r"-\d+", "", threading.current_thread().name))
    phase = [0]

    def start(*_args: object) -> None:
        yappi.clear_stats()
        yappi.start(builtins=False, profile_threads=True)

    def stop(*_args: object) -> None:
        yappi.stop()
        phase[0] += 1
        path = f"{out}.{phase[0]}.pstat"
        yappi.get_func_stats().save(path, type="pstat")
        text = io.StringIO()
        stats = pstats.Stats(path, stream=text).strip_dirs()
        for order in ("tottime", "cumulative"):
            text.write(f"==== by {order}\n")
            stats.sort_stats(order).print_stats(45)
        text.write("==== threads (CPU or wall seconds)\n")
        threads = sorted(yappi.get_thread_stats(), key=lambda t: -t.ttot)
        by_name: dict[str, list[float]] = {}
        for t in threads:
            by_name.setdefault(t.name, []).append(t.ttot)
        for name, times in sorted(by_name.items(), key=lambda kv: -sum(kv[1])):
            text.write(f"{name:<30} threads={len(times):<5} total={sum(times):.3f}s\n")
        Path(f"{out}.{phase[0]}.txt").write_text(text.getvalue())

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def main() -> None:
    import logging

    from workspace.server import make_server

    logging.getLogger("jointlab.server").setLevel(logging.CRITICAL)
    app, info, env = seeded_app()
    worker = start_worker(env) if env.get("REDIS_URL") else None
    if os.environ.get("BENCH_PROFILE"):
        install_profiler(
            os.environ["BENCH_PROFILE"],
            os.environ.get("BENCH_PROFILE_OUT", "/tmp/jl-bench-profile"),
        )
    # No access log in the timing.
    servers = {
        "app": make_server(app, "127.0.0.1", 0, 8 << 20, access_log=False),
        "bare": make_server(
            bare_app(env["DATABASE_URL"], info["trial_id"]),
            "127.0.0.1",
            0,
            8 << 20,
            access_log=False,
        ),
    }
    for server in servers.values():
        server.start()
    info.update({f"{name}_port": server.server_port for name, server in servers.items()})
    print(json.dumps(info), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stopped.set())
    while not stopped.wait(0.5):
        pass
    if worker is not None:
        worker.terminate()
        worker.wait(20)


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """With Redis the outbox consumers run in an RQ worker, as deployed."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-scheduler"],
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
