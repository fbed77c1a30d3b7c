"""The co-editing writer's own cost per batch, insensitive to machine load:
SQL statements sent by the writer's thread (a `before_cursor_execute`
count, executemany counted once, BEGIN/COMMIT not seen by it), Python calls
(cProfile's count, a few batches run again under it: the same however
loaded the machine) and CPU around writer._commit (time.thread_time: the
writer's own, its minimum the least disturbed; time.process_time: with
whatever the in-process bus subscribers did meanwhile), for batches of 50
updates over 10 documents from 10 editors (token connections), with every
document open in this process.

And `handler`: the per-event Python work of a doc:update before it reaches
the writer (handler_cost).

Three kinds of batch, each measured on its own:
- steady: the editors are already pending and `updated_at` is fresh, so no
  document row changes (most batches under load);
- touch: every document's `updated_at` is due a refresh (service.TOUCH_EVERY);
- edited: every document is due a document.edited event (EDITED_EVERY).
What makes a batch `touch` or `edited` is set up outside the measurement, as
are the compactions that keep every document's tail short. Relays are not
measured (the batch's updates carry none). To compare with an older commit,
run this same file from a `git archive` of it.

Usage (a PostgreSQL database it may drop and create):
  BENCH_PG=postgresql+psycopg://postgres@127.0.0.1/jl_writer_batch \
    python bench/coediting/writer_batch.py [--batches 60] [--show-sql] [--cprofile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

from profile_update import reset_database  # same directory (run as a script)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOCUMENTS, EDITORS, UPDATES = 10, 10, 50
PROFILED = 5  # batches run again under cProfile, to count Python calls


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--show-sql", action="store_true", help="each kind's last batch's SQL")
    parser.add_argument("--cprofile", help="the steady batches' profile, to this file")
    args = parser.parse_args()
    url = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1/jl_writer_batch")
    reset_database(url)
    os.environ.update(
        DATABASE_URL=url, INSTANCE_PATH=tempfile.mkdtemp(prefix="jl-wb-"), JOINTLAB_NO_DEMO="1"
    )
    sys.path.insert(0, str(ROOT))
    # local: the app reads its settings from the environment set above
    from workspace.migrations import upgrade

    upgrade(url)
    run(args.batches, args.show_sql, args.cprofile)


def run(batches: int, show_sql: bool, cprofile: str | None) -> None:
    # local: the app reads its settings from the environment set in main()
    from pycrdt import Doc, Text
    from setup_python import bench_workspace  # same directory; imports the app
    from sqlalchemy import Interval, event, literal, update
    from sqlalchemy.engine import Engine

    from workspace.app import create_app
    from workspace.auth.credentials import Credential
    from workspace.auth.service import create_user
    from workspace.auth.tokens import create_token
    from workspace.db import db
    from workspace.documents import store, sync, writer
    from workspace.documents.group_commit import Pending, Take
    from workspace.documents.models import Document
    from workspace.documents.service import insert_document
    from workspace.spaces import service

    app = create_app()
    with app.app_context():
        with db.transaction() as s:
            ent, manager, ws = bench_workspace(s)
            who = []
            secrets: list[str] = []
            for i in range(EDITORS):
                user = create_user(
                    s,
                    email=f"e{i}@b.test",
                    name=f"Editor {i}",
                    password="x" * 12,
                    organization_id=ent.id,
                )
                service.add_member(s, manager, ws.id, user.id, "owner" if i == 0 else "editor")
                row, secret = create_token(s, user, "bench", ["read", "write"])
                secrets.append(secret)
                s.flush()
                who.append(Credential("token", row.id, user.id, frozenset({"read", "write"})))
            ids = [
                insert_document(s, manager, ws.id, "answer", f"Doc {i}", "hello " * 200).id
                for i in range(DOCUMENTS)
            ]
        docs = {}
        for doc_id in ids:
            answer = sync.join(doc_id, "bench-sid", b"")
            d = Doc()
            d["content"] = text = Text()
            d.apply_update(answer["update"])
            docs[doc_id] = (d, text)

        statements = [0]
        sent: list[str] = []

        me = threading.get_ident()

        def count(_conn: Any, _cursor: Any, sql: str, _params: Any, _ctx: Any, many: bool) -> None:
            if threading.get_ident() != me:
                return  # a bus subscriber's thread (the events of the batch before)
            statements[0] += 1
            sent.append(("executemany: " if many else "") + " ".join(sql.split())[:160])

        event.listen(Engine, "before_cursor_execute", count)
        batch_no = [0]

        def one_batch(profile: cProfile.Profile | None = None) -> tuple[int, float, float]:
            pendings = []
            for i in range(UPDATES):
                doc_id = ids[i % DOCUMENTS]
                d, text = docs[doc_id]
                before = d.get_state()
                text.insert(len(text), "x")
                data = d.get_update(before)
                who_i = who[(i + batch_no[0]) % EDITORS]
                shape = sync.check_update(data)
                pendings.append(Pending(writer.Update(who_i, doc_id, data, shape, None, None)))
            batch_no[0] += 1
            take = Take(writer.writers, deque(pendings))
            statements[0] = 0
            sent.clear()
            if profile is not None:
                profile.enable()
            cpu, own = time.process_time(), time.thread_time()
            writer._commit(writer.PROCESS, take)
            cpu, own = time.process_time() - cpu, time.thread_time() - own
            if profile is not None:
                profile.disable()
            assert all(p.done and p.error is None for p in pendings), [p.error for p in pendings]
            return statements[0], cpu, own

        def prepare(kind: str, n: int) -> None:
            if n % 20 == 0:
                for doc_id in ids:
                    store.compact(doc_id)
            if kind == "steady":
                return
            column = Document.updated_at if kind == "touch" else Document.edited_event_at
            with db.transaction() as s:
                s.execute(
                    update(Document)
                    .where(Document.id.in_(ids))
                    .values({column: column - literal(back[kind], Interval())})
                )

        back = {"touch": timedelta(seconds=3), "edited": timedelta(seconds=61)}
        for n in range(10):  # warm: connections, caches; every editor pending
            prepare("steady", n)
            one_batch()
        out: dict[str, Any] = {}
        for kind in ("steady", "touch", "edited"):
            counts, cpus, owns = [], [], []
            for n in range(batches):
                prepare(kind, n)
                c, t, o = one_batch()
                counts.append(c)
                cpus.append(t)
                owns.append(o)
            if show_sql:
                print(kind, *sent, sep="\n  ", file=sys.stderr)
            # Python calls (cProfile's count: deterministic, whatever the load).
            profile = cProfile.Profile()
            for n in range(PROFILED):
                prepare(kind, n + 1)
                one_batch(profile)
            if cprofile and kind == "steady":
                profile.dump_stats(cprofile)
            out[kind] = {
                "sql_per_batch": statistics.median(counts),
                "sql_min_max": [min(counts), max(counts)],
                "python_calls_per_batch": round(calls(profile) / PROFILED),
                "thread_cpu_ms_min": ms(min(owns)),
                "thread_cpu_ms_p25": ms(statistics.quantiles(owns, n=4)[0]),
                "thread_cpu_ms_median": ms(statistics.median(owns)),
                "process_cpu_ms_median": ms(statistics.median(cpus)),
            }
        out["handler"] = handler_cost(app, secrets[1], ids[0], docs[ids[0]])
        print(json.dumps({"updates": UPDATES, "documents": DOCUMENTS, **out}, indent=1))


def handler_cost(app: Any, secret: str, document_id: int, doc: Any) -> dict[str, float]:
    """The per-event Python work of doc:update before the writer: Socket.IO
    packet decoding, Flask-SocketIO's request context, the handler's checks
    and schema, the ack; through Flask-SocketIO's test client (no transport),
    with writer.submit a no-op (the writer is measured per batch above)."""
    # local: the app reads its settings from the environment set in main()
    from realtime import socketio
    from workspace.documents import writer

    client = socketio.test_client(app, auth={"token": secret})
    ack = client.emit("doc:join", {"document_id": document_id, "state_vector": b""}, callback=True)
    assert ack["ok"], ack
    d, text = doc
    before = d.get_state()
    text.insert(len(text), "y")
    data = d.get_update(before)
    submit, writer.submit = writer.submit, lambda _update: None
    try:
        event = {"document_id": document_id, "update": data}
        runs = []
        for _ in range(7):
            n = 2000
            cpu = time.thread_time()
            for _ in range(n):
                assert client.emit("doc:update", event, callback=True) == {"ok": True}
            runs.append((time.thread_time() - cpu) / n)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(PROFILED * 100):
            client.emit("doc:update", event, callback=True)
        profile.disable()
    finally:
        writer.submit = submit
        client.disconnect()
    return {
        "python_calls_per_event": round(calls(profile) / (PROFILED * 100)),
        "thread_cpu_us_min": round(min(runs) * 1e6, 1),
        "thread_cpu_us_median": round(statistics.median(runs) * 1e6, 1),
    }


def calls(profile: cProfile.Profile) -> int:
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
