"""Profile doc:update in one process, without the network: the server's own
CPU per update and the SQL statements it sends, through the real Socket.IO
handler stack (Flask-SocketIO's test client: schema, credential re-check,
group commit, relay). For finding where an update's time goes, not for
numbers to compare with a peer (bench.py does that).

Usage (a database it may drop and create):
  BENCH_PG=postgresql+psycopg://postgres@127.0.0.1/jl_prof \
    python bench/coediting/profile_update.py [--documents 50] [--updates 2000] [--cprofile OUT]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pycrdt import Doc, Text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def reset_database(url: str) -> None:
    import sqlalchemy as sa

    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--cprofile")
    args = parser.parse_args()
    url = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1/jl_prof")
    reset_database(url)
    instance = tempfile.mkdtemp(prefix="jl-prof-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": instance,
        "JOINTLAB_NO_DEMO": "1",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from workspace.migrations import "
            "upgrade; upgrade(os.environ['DATABASE_URL'])",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, str(HERE / "setup_python.py"), str(args.documents)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from realtime import socketio
    from workspace.app import create_app

    app = create_app()
    statements = [0]
    event.listen(
        Engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1)
    )
    client = socketio.test_client(app, auth={"token": seeded["token"]})
    docs = {}
    for doc_id in seeded["documents"]:
        ack = client.emit("doc:join", {"document_id": doc_id, "state_vector": b""}, callback=True)
        assert ack["ok"], ack
        d = Doc()
        d["content"] = text = Text()
        d.apply_update(ack["update"])
        docs[doc_id] = (d, text)
    ids = list(docs)

    def one(i: int) -> None:
        doc_id = ids[i % len(ids)]
        d, text = docs[doc_id]
        before = d.get_state()
        text.insert(len(text), "x")
        update = d.get_update(before)
        ack = client.emit("doc:update", {"document_id": doc_id, "update": update}, callback=True)
        assert ack["ok"], ack

    for i in range(50):  # warm caches and connections
        one(i)
    client.get_received()
    statements[0] = 0
    prof = cProfile.Profile() if args.cprofile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    for i in range(args.updates):
        one(i)
        if i % 200 == 0:
            client.get_received()
    if prof:
        prof.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(
        json.dumps(
            {
                "updates": args.updates,
                "documents": len(ids),
                "cpu_ms_per_update": round(cpu / args.updates * 1000, 3),
                "wall_ms_per_update": round(wall / args.updates * 1000, 3),
                "sql_per_update": round(statements[0] / args.updates, 2),
            }
        )
    )
    if prof:
        prof.dump_stats(args.cprofile)
        pstats.Stats(args.cprofile).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
