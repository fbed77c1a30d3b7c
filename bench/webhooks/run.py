"""Benchmark: one milestone event fanned out to N webhook endpoints.

Run by hand (needs PostgreSQL on 127.0.0.1:5432 and `redis-server`):

    . .venv/bin/activate && python bench/webhooks/run.py --endpoints 1000

It makes a fresh PostgreSQL database and a private redis-server, points N
standard endpoints at a local receiver, and measures for 1, 2 and 4
`flask --app wsgi worker` processes the time from the commit of the event
until every delivery is recorded as succeeded, next to a raw loop that signs
and POSTs the same payloads from one thread. Worker memory is the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if "--root" in sys.argv:  # benchmark another checkout (e.g. the previous commit) with this driver
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class Counter(BaseHTTPRequestHandler):
    count = 0
    delay = 0.0
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if Counter.delay:
            time.sleep(Counter.delay)  # a remote receiver's round trip and work
        with Counter.lock:
            Counter.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--receiver-delay-ms",
        type=float,
        default=0,
        help="the receiver answers after this long (models a remote one)",
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=1,
        help="spread the endpoints over this many loopback addresses "
        "(127.0.0.1, 127.0.0.2, ...), as if on different hosts",
    )
    parser.add_argument("--root", help="the checkout to benchmark (default: this one)")
    parser.add_argument("--logs", help="directory for the workers' output (default: discarded)")
    args = parser.parse_args()

    from sqlalchemy import create_engine, func, select, text

    from workspace.migrations import upgrade

    name = f"jl_bench_{os.getpid()}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = PG.rsplit("/", 1)[0] + f"/{name}"
    upgrade(db_url)
    redis_port = free_port()
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    Counter.delay = args.receiver_delay_ms / 1000
    server = ThreadingHTTPServer(("0.0.0.0" if args.hosts > 1 else "127.0.0.1", 0), Counter)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}/hook"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "bench-secret-key-0123456789",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "INSTANCE_PATH": f"/tmp/{name}",
        "JOINTLAB_NO_DEMO": "1",
    }
    os.environ.update(env)
    time.sleep(0.5)
    results = {}
    from workspace.db import db  # importing connects nothing; the finally needs it

    try:
        from workspace.app import create_app

        app = create_app()
        from workspace.auth.service import create_user
        from workspace.events.log import record_event
        from workspace.organizations.models import Organization
        from workspace.spaces import service as workspaces
        from workspace.webhooks.models import Delivery, WebhookEndpoint
        from workspace.webhooks.signing import new_secret

        with db.transaction() as s:
            ent, uni = (
                Organization(name="E", kind="enterprise"),
                Organization(name="U", kind="university"),
            )
            s.add_all([ent, uni])
            s.flush()
            manager = create_user(s, email="m@b.test", name="M", password="x" * 10, role="manager")
            ws = workspaces.create_workspace(
                s, manager, title="Bench", summary="", enterprise_id=ent.id, university_id=uni.id
            )
            port = server.server_address[1]
            s.add_all(
                [
                    WebhookEndpoint(
                        workspace_id=ws.id,
                        url=f"http://127.0.0.{1 + i % args.hosts}:{port}/hook",
                        events=["milestone.*"],
                        format="standard",
                        secret=new_secret(),
                    )
                    for i in range(args.endpoints)
                ]
            )
            ws_id = ws.id
        with app.app_context():
            from jobs.outbox import process_outbox

            process_outbox()  # starts the consumer's cursor

        results["raw_loop_s"] = raw_loop(receiver, args.endpoints)
        for count in [int(x) for x in args.workers.split(",")]:
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
                    + ([] if i == 0 else ["--no-scheduler"]),
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=_log(args.logs, f"w{count}-{i}"),
                )
                for i in range(count)
            ]
            try:
                wait_for_workers(env["REDIS_URL"], count, procs)
                before = Counter.count
                peak = 0
                t0 = time.monotonic()
                with db.transaction() as s:
                    record_event(
                        s,
                        ws_id,
                        "milestone.reached",
                        {"milestone": {"id": count, "title": f"run {count}"}},
                    )
                with db.reading() as s:
                    event_id = s.execute(text("SELECT max(id) FROM events")).scalar()
                done = 0
                while done < args.endpoints and time.monotonic() - t0 < 600:
                    time.sleep(0.2)
                    peak = max(peak, *(rss_kb(p.pid) for p in procs))
                    with db.reading() as s:
                        done = s.scalar(
                            select(func.count())
                            .select_from(Delivery)
                            .where(Delivery.event_id == event_id, Delivery.status == "succeeded")
                        )
                elapsed = time.monotonic() - t0
                with db.reading() as s:
                    errors = s.execute(
                        text(
                            "SELECT a.error, count(*) FROM webhook_delivery_attempts a "
                            "JOIN webhook_deliveries d ON d.id = a.delivery_id "
                            "WHERE d.event_id = :e AND NOT a.succeeded GROUP BY a.error"
                        ),
                        {"e": event_id},
                    ).all()
                results[f"workers_{count}"] = {
                    "seconds": round(elapsed, 2),
                    "delivered": done,
                    "requests": Counter.count - before,
                    "failed_attempts": {e: n for e, n in errors},
                    "peak_worker_rss_mb": round(peak / 1024, 1),
                }
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
        for key, value in results.items():
            if key.startswith("workers_"):
                value["ratio_to_raw"] = round(value["seconds"] / results["raw_loop_s"], 2)
        print(json.dumps(results, indent=2))
    finally:
        server.shutdown()
        redis_proc.terminate()
        db.dispose()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def wait_for_workers(redis_url: str, count: int, procs: list[subprocess.Popen]) -> None:
    """Start the clock only once every worker listens (imports of several
    processes on a small host take a while)."""
    import redis
    from rq import Worker

    conn = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 120
    while Worker.count(connection=conn) < count and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker exited during start")
        time.sleep(0.2)
    time.sleep(1)  # their first poll and the scheduler's lock


def _log(directory: str | None, name: str) -> object:
    if not directory:
        return subprocess.DEVNULL
    Path(directory).mkdir(parents=True, exist_ok=True)
    return open(Path(directory) / f"{name}.log", "w")  # noqa: SIM115 - the worker owns it


def raw_loop(url: str, n: int) -> float:
    """The floor: sign and POST the same payload shape, one after another,
    a new connection each (as the worker does, to the vetted address)."""
    import urllib3

    from workspace.webhooks.formats import standard_request
    from workspace.webhooks.signing import new_secret

    secret = new_secret()
    envelope = {
        "id": 1,
        "seq": 1,
        "type": "milestone.reached",
        "workspace_id": 1,
        "actor": None,
        "occurred_at": "2026-01-01T00:00:00Z",
        "data": {"milestone": {"id": 1, "title": "raw"}},
    }
    t0 = time.monotonic()
    for i in range(n):
        req = standard_request(url, f"msg_raw_{i}", envelope, [secret])
        pool = urllib3.HTTPConnectionPool(
            "127.0.0.1", int(url.split(":")[2].split("/")[0]), retries=False
        )
        pool.urlopen("POST", "/hook", body=req.body, headers=req.headers)
        pool.close()
    return round(time.monotonic() - t0, 2)


if __name__ == "__main__":
    main()
