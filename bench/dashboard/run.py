"""Dashboard benchmark (by hand, after seed.py): HTTP latency of the
dashboard API and page, then feed delivery latency to 200 connected managers
while 50 events a second are committed.

    (cd bench/dashboard && npm ci)
    python bench/dashboard/run.py postgresql+psycopg://postgres@127.0.0.1/jl_bench_dashboard

Starts `python wsgi.py` (the embedded server) against that database and
REDIS_URL on core 0, and drives it from core 1. The feed part alternates
rounds with the peer, a minimal Node socket.io server (node_feed_server.mjs)
fanning the same envelopes out to the same Node clients (feed_clients.mjs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NAMESPACE = f"jlbench{os.getpid()}"
PORT = int(os.environ.get("BENCH_PORT", "5099"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-1"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _pin(core: int) -> list[str]:
    """BENCH_PIN=0 lets the server use both cores (and share them with PostgreSQL)."""
    if os.environ.get("BENCH_PIN", "1") == "0" or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(core)]


def start_server(url: str) -> subprocess.Popen:
    instance = tempfile.mkdtemp(prefix="jl-dash-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS,
        "REDIS_NAMESPACE": NAMESPACE,
        "SECRET_KEY": "bench-secret-key-0123456789",
        "PORT": str(PORT),
        "INSTANCE_PATH": instance,
        "JOINTLAB_NO_DEMO": "1",
    }
    # The server's log goes to a file: with DEVNULL we saw it stall mid-run.
    log = open(Path(instance) / "server.log", "w")  # noqa: SIM115 - lives with the process
    proc = subprocess.Popen(
        [*_pin(0), sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            if requests.get(f"{BASE}/healthz", timeout=1).status_code < 500:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def login(email: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{BASE}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return s


ROUTES = (
    ("GET /api/v1/dashboard (first 100 rows, totals over 500)", "/api/v1/dashboard"),
    ("GET /api/v1/dashboard?limit=500", "/api/v1/dashboard?limit=500"),
    ("GET /api/v1/dashboard/totals", "/api/v1/dashboard/totals"),
    ("GET /dashboard (page)", "/dashboard"),
    (
        "GET /api/v1/dashboard?q=…&overdue=true",
        "/api/v1/dashboard?q=collab&overdue=true&sort=next_due",
    ),
    # What a live page re-reads after a burst of events.
    ("GET /api/v1/dashboard?workspace_id=… (1 row)", "/api/v1/dashboard?workspace_id=7"),
    (
        "GET /api/v1/dashboard?workspace_id=… (10 rows)",
        "/api/v1/dashboard?workspace_id=" + ",".join(str(i) for i in range(7, 107, 10)),
    ),
)


def start_peer(cookies: Any) -> tuple[subprocess.Popen, int]:
    """The bare Flask peer, answering each route with JointLab's recorded answer."""
    recorded = Path(tempfile.mkdtemp(prefix="jl-dash-peer-"))
    for k, (_, path) in enumerate(ROUTES):
        r = requests.get(BASE + path, cookies=cookies, timeout=30)
        r.raise_for_status()
        suffix = ".json" if r.headers["Content-Type"].startswith("application/json") else ".html"
        (recorded / f"{k}{suffix}").write_bytes(r.content)
    port = PORT + 2
    proc = subprocess.Popen(
        [*_pin(0), sys.executable, str(HERE / "bare_flask.py"), str(port), str(recorded)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("peer did not start")


def http_latency(n: int = 100) -> dict[str, tuple[list[float], list[float]]]:
    """Per route: JointLab's and the bare Flask peer's latencies, requests
    alternating between the two so both see the same machine."""
    s = login("pm@bench.test")
    peer, peer_port = start_peer(s.cookies)
    out: dict[str, tuple[list[float], list[float]]] = {}
    try:
        for k, (name, path) in enumerate(ROUTES):
            # A new connection per request, as browsers spread over many users
            # would; the embedded server's keep-alive handling is not measured.
            targets = ((BASE + path, s.cookies), (f"http://127.0.0.1:{peer_port}/r/{k}", None))
            times: tuple[list[float], list[float]] = ([], [])
            for i in range(n + 5):
                for (url, cookies), sink in zip(targets, times, strict=True):
                    t0 = time.perf_counter()
                    r = requests.get(url, cookies=cookies, timeout=30)
                    elapsed = (time.perf_counter() - t0) * 1000
                    r.raise_for_status()
                    if i >= 5:  # warm-up
                        sink.append(elapsed)
            out[name] = times
    finally:
        peer.terminate()
        peer.wait(timeout=10)
    rows = s.get(f"{BASE}/api/v1/dashboard", timeout=30).json()["totals"]["workspaces"]
    print(f"dashboard rows: {rows}")
    return out


def feed_round(
    label: str,
    url: str,
    cookies_file: str,
    clients: int,
    rate: int,
    seconds: int,
    produce: Callable[[], None],
) -> dict[str, Any]:
    """One round: N Node feed clients connect and subscribe, `produce`
    makes RATE events a second for SECONDS, the clients time each arrival."""
    ready = Path(tempfile.mkstemp(prefix="jl-feed-ready-")[1])
    ready.unlink()
    expected = rate * seconds * clients
    proc = subprocess.Popen(
        [
            *_pin(1),
            "node",
            str(HERE / "feed_clients.mjs"),
            url,
            cookies_file,
            str(clients),
            str(ready),
            str(expected),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 300
    while not ready.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    if not ready.exists():
        proc.kill()
        raise SystemExit(f"{label}: feed clients did not connect")
    time.sleep(1)
    load = os.getloadavg()[0]
    produce()
    produced_at = time.time()
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    result = json.loads(out.strip().splitlines()[-1])
    result.update(
        server=label,
        expected=expected,
        rate=rate,
        seconds=seconds,
        load_before=load,
        lag_ms=round(result["last_receipt"] - produced_at * 1000),
    )
    print(json.dumps(result), flush=True)
    return result


def jointlab_producer(url: str, rate: int, seconds: int) -> Callable[[], None]:
    """Events committed through the service layer's event log, as a
    milestone update in any web process or job would commit them."""
    import workspace.models  # noqa: F401 - every table, for the event's foreign keys
    from jobs.queue import redis_client
    from workspace.db import db
    from workspace.events.bus import bus
    from workspace.events.log import record_event

    db.configure(url)
    bus.use_redis(redis_client(REDIS), f"{NAMESPACE}:events")

    def produce() -> None:
        start = time.perf_counter()
        for k in range(rate * seconds):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            with db.transaction() as s:
                record_event(
                    s,
                    1 + k % 500,
                    "milestone.updated",
                    {"milestone": {"id": 1, "title": "Bench"}, "sent": time.time()},
                )

    return produce


def feed_latency(url: str, clients: int, rate: int, seconds: int, rounds: int) -> list[dict]:
    cookies_file = tempfile.mkstemp(prefix="jl-feed-cookies-")[1]
    with open(cookies_file, "w") as f:
        for i in range(2, 2 + clients):
            session = login(f"pm{i}@bench.test")
            f.write("; ".join(f"{k}={v}" for k, v in session.cookies.items()) + "\n")
    node_port = PORT - 1
    node = subprocess.Popen([*_pin(0), "node", str(HERE / "node_feed_server.mjs"), str(node_port)])
    results = []
    try:
        time.sleep(1)
        produce_jl = jointlab_producer(url, rate, seconds)

        def produce_node() -> None:
            requests.post(
                f"http://127.0.0.1:{node_port}/emit?rate={rate}&seconds={seconds}", timeout=10
            )
            time.sleep(seconds)

        for _ in range(rounds):
            results.append(
                feed_round("JointLab", BASE, cookies_file, clients, rate, seconds, produce_jl)
            )
            results.append(
                feed_round(
                    "Node socket.io",
                    f"http://127.0.0.1:{node_port}",
                    cookies_file,
                    clients,
                    rate,
                    seconds,
                    produce_node,
                )
            )
    finally:
        node.terminate()
        node.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the seeded PostgreSQL database (seed.py)")
    parser.add_argument("--skip-http", action="store_true", help="only the feed benchmark")
    parser.add_argument("--skip-feed", action="store_true", help="only the HTTP benchmark")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=50, help="events a second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    # This process produces the events and shares core 1 with the clients;
    # each server under test has core 0 to itself.
    if _pin(1) and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    proc = start_server(args.url)
    try:
        if not args.skip_http:
            for name, (times, peer) in http_latency().items():
                print(
                    f"{name}: p50 {statistics.median(times):.1f} ms, "
                    f"p95 {pct(times, 95):.1f} ms, p99 {pct(times, 99):.1f} ms "
                    f"(n={len(times)}); bare Flask peer p50 {statistics.median(peer):.1f}, "
                    f"p95 {pct(peer, 95):.1f} ms; p95 ratio "
                    f"{pct(times, 95) / pct(peer, 95):.1f}x"
                )
        if not args.skip_feed:
            results = feed_latency(args.url, args.clients, args.rate, args.seconds, args.rounds)
            for r in results:
                print(
                    f"{r['server']}: {r['received']}/{r['expected']} delivered, "
                    f"p50 {r['p50']} ms, p95 {r['p95']} ms, p99 {r['p99']} ms, "
                    f"max {r['max']} ms, lag {r['lag_ms']} ms, load {r['load_before']:.1f}"
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
