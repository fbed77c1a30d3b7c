"""Seed a PostgreSQL database for the dashboard benchmark.

500 workspaces in one manager's portfolio (plus 100 outside it), 20
milestones and 50 completed trials each, problem statements (a third agreed),
funding on a quarter of the milestones and 100,000 events.

    python bench/dashboard/seed.py postgresql+psycopg://postgres@127.0.0.1/jl_bench_dashboard
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))

PORTFOLIO, OUTSIDE, MILESTONES, TRIALS, EVENTS = 500, 100, 20, 50, 100_000


def main(url: str) -> None:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    from workspace.migrations import upgrade

    upgrade(url)
    import workspace.models  # noqa: F401
    from workspace.auth.passwords import hash_password
    from workspace.db import Base

    t = Base.metadata.tables
    rnd = random.Random(6)
    now = datetime.now(UTC)
    today = date.today()
    engine = create_engine(url)
    with engine.begin() as c:
        orgs = [
            {
                "id": i,
                "name": f"Enterprise {i}" if i <= 150 else f"University {i}",
                "kind": "enterprise" if i <= 150 else "university",
                "created_at": now,
            }
            for i in range(1, 201)
        ]
        c.execute(insert(t["organizations"]), orgs)
        pw = hash_password("bench-password-1")
        users = [
            {
                "id": 1,
                "email": "pm@bench.test",
                "name": "PM",
                "password_hash": pw,
                "role": "manager",
                "organization_id": None,
                "locale": "en",
                "timezone": "Asia/Shanghai",
                "active": True,
                "created_at": now,
            }
        ]
        users += [
            {
                "id": i,
                "email": f"pm{i}@bench.test",
                "name": f"PM {i}",
                "password_hash": pw,
                "role": "manager",
                "organization_id": None,
                "locale": "zh-CN",
                "timezone": "Asia/Shanghai",
                "active": True,
                "created_at": now,
            }
            for i in range(2, 202)
        ]
        c.execute(insert(t["users"]), users)
        total = PORTFOLIO + OUTSIDE
        c.execute(
            insert(t["workspaces"]),
            [
                {
                    "id": w,
                    "title": f"Collaboration {w:04d}",
                    "summary": "",
                    "status": rnd.choice(["active"] * 6 + ["paused", "completed"]),
                    "enterprise_id": rnd.randint(1, 150),
                    "university_id": rnd.randint(151, 200),
                    "created_by_id": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for w in range(1, total + 1)
            ],
        )
        c.execute(
            insert(t["portfolios"]), [{"manager_id": m, "updated_at": now} for m in range(1, 202)]
        )
        c.execute(
            insert(t["portfolio_workspaces"]),
            [
                {"manager_id": m, "workspace_id": w}
                for m in range(1, 202)
                for w in range(1, PORTFOLIO + 1)
            ],
        )
        ms, tranches, mid = [], [], 0
        for w in range(1, total + 1):
            for k in range(MILESTONES):
                mid += 1
                due = today + timedelta(days=rnd.randint(-200, 200))
                status = (
                    "reached"
                    if due < today and rnd.random() < 0.7
                    else ("missed" if rnd.random() < 0.03 else "open")
                )
                ms.append(
                    {
                        "id": mid,
                        "workspace_id": w,
                        "title": f"Milestone {k + 1}",
                        "description": "",
                        "due_date": due,
                        "status": status,
                        "criteria": None,
                        "created_at": now,
                        "updated_at": now,
                        "reached_at": now - timedelta(days=rnd.randint(0, 60))
                        if status == "reached"
                        else None,
                    }
                )
                if rnd.random() < 0.25:
                    tranches.append(
                        {
                            "milestone_id": mid,
                            "amount": Decimal(rnd.randint(1, 50) * 10000),
                            "currency": "CNY",
                            "updated_at": now,
                        }
                    )
        c.execute(insert(t["milestones"]), ms)
        c.execute(insert(t["milestone_tranches"]), tranches)
        trials, tid = [], 0
        for w in range(1, total + 1):
            for n in range(1, TRIALS + 1):
                tid += 1
                done = n < TRIALS or rnd.random() < 0.5
                trials.append(
                    {
                        "id": tid,
                        "workspace_id": w,
                        "number": n,
                        "title": f"Trial {n}",
                        "line": "L1",
                        "batch": f"B{n}",
                        "hypothesis": "",
                        "parameters": {},
                        "status": "completed" if done else "running",
                        "outcome": rnd.choice(["passed", "failed"]) if done else None,
                        "results": {},
                        "baseline": False,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "finished_at": now if done else None,
                    }
                )
        c.execute(insert(t["trials"]), trials)
        c.execute(
            insert(t["documents"]),
            [
                {
                    "id": w,
                    "workspace_id": w,
                    "kind": "problem_statement",
                    "title": "Problem statement",
                    "created_at": now,
                    "updated_at": now,
                    "agreed_version_id": w if w % 3 == 0 else None,
                    "pending_editors": [],
                }
                for w in range(1, total + 1)
            ],
        )
        types = [
            "milestone.reached",
            "trial.completed",
            "document.edited",
            "trial.measurements_recorded",
            "milestone.created",
            "statement.agreed",
        ]
        seqs = dict.fromkeys(range(1, total + 1), 0)
        events = []
        for i in range(1, EVENTS + 1):
            w = rnd.randint(1, total)
            seqs[w] += 1
            events.append(
                {
                    "id": i,
                    "workspace_id": w,
                    "seq": seqs[w],
                    "type": rnd.choice(types),
                    "actor_id": None,
                    "actor_name": "Bench",
                    "occurred_at": now - timedelta(seconds=EVENTS - i),
                    "data": {"milestone": {"id": 1, "title": "Milestone"}},
                }
            )
        for start in range(0, len(events), 10_000):
            c.execute(insert(t["events"]), events[start : start + 10_000])
        for table in (
            "organizations",
            "users",
            "workspaces",
            "milestones",
            "trials",
            "documents",
            "events",
        ):
            c.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    print(f"seeded {url}")


if __name__ == "__main__":
    main(sys.argv[1])
