"""The benchmark's seeded JointLab app: a fresh database (PostgreSQL recreated
and migrated, or a new SQLite file), a workspace with a running trial and
its indicators, a line token and a read token, the bare table, and with
BENCH_SEED_READINGS=N the trial's N readings of the past (see server.py).
Also used by bench/files/server.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bare_ingest import BARE_TABLE, bare_table, create_bare_table

METRICS = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")

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

    from workspace.trials.fold import fold_rows, save_stats, stats_by_metric, stats_query
    from workspace.trials.models import Measurement
    from workspace.trials.readings import Readings

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
                stats = stats_by_metric(session.execute(stats_query(trial_id)))
                fold_rows(stats, Readings.of_rows(rows))
                save_stats(session, trial_id, stats, sorted(stats))
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
    from workspace.spaces import service as workspaces
    from workspace.trials import indicators
    from workspace.trials import service as trials

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
            indicators.create_indicator(
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
