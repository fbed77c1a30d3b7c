"""Dashboard benchmark (by hand, after seed.py): HTTP latency of the
dashboard API and page, then feed delivery latency to 200 connected managers
while 50 events a second are committed.

    python bench/dashboard/run.py postgresql+psycopg://postgres@127.0.0.1/jl_bench_dashboard

Starts `python wsgi.py` (the embedded server) against that database and
REDIS_URL, and drives it from this process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NAMESPACE = f"jlbench{os.getpid()}"
PORT = int(os.environ.get("BENCH_PORT", "5099"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-1"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def start_server(url: str) -> subprocess.Popen:
    instance = tempfile.mkdtemp(prefix="jl-dash-")
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS, "REDIS_NAMESPACE": NAMESPACE,
           "SECRET_KEY": "bench-secret-key-0123456789", "PORT": str(PORT),
           "INSTANCE_PATH": instance, "JOINTLAB_NO_DEMO": "1"}
    # The server's log goes to a file: with DEVNULL we saw it stall mid-run.
    log = open(Path(instance) / "server.log", "w")  # noqa: SIM115 - lives with the process
    proc = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            if requests.get(f"{BASE}/healthz", timeout=1).status_code < 500:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def login(email: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{BASE}/api/v1/auth/login", json={"email": email, "password": PASSWORD},
               timeout=30)
    r.raise_for_status()
    return s


def http_latency(n: int = 100) -> dict[str, list[float]]:
    s = login("pm@bench.test")
    out: dict[str, list[float]] = {}
    for name, path in (("GET /api/v1/dashboard", "/api/v1/dashboard"),
                       ("GET /dashboard (page)", "/dashboard"),
                       ("GET /api/v1/dashboard?q=…&overdue=true",
                        "/api/v1/dashboard?q=collab&overdue=true&sort=next_due")):
        # A new connection per request, as browsers spread over many users
        # would; the embedded server's keep-alive handling is not measured.
        for _ in range(5):
            requests.get(BASE + path, cookies=s.cookies, timeout=30).raise_for_status()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            r = requests.get(BASE + path, cookies=s.cookies, timeout=30)
            times.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        out[name] = times
    rows = s.get(f"{BASE}/api/v1/dashboard", timeout=30).json()["totals"]["workspaces"]
    print(f"dashboard rows: {rows}")
    return out


def feed_latency(url: str, clients: int = 200, rate: int = 50, seconds: int = 20) -> list[float]:
    from jobs.queue import redis_client
    from workspace.db import db
    from workspace.events import record_event
    from workspace.events.bus import bus

    db.configure(url)
    bus.use_redis(redis_client(REDIS), f"{NAMESPACE}:events")
    latencies: list[float] = []
    lock = threading.Lock()
    conns = []
    for i in range(2, 2 + clients):
        session = login(f"pm{i}@bench.test")
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        c = socketio.Client(reconnection=False)

        def on_event(env: dict, _c: socketio.Client = c) -> None:
            sent = (env.get("data") or {}).get("sent")
            if sent:
                with lock:
                    latencies.append((time.time() - sent) * 1000)

        c.on("event", on_event)
        c.connect(BASE, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=20)
        assert c.call("feed:subscribe", {}, timeout=20)["ok"]
        conns.append(c)
    print(f"{len(conns)} managers connected")
    total = rate * seconds
    start = time.perf_counter()
    for k in range(total):
        target = start + k / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with db.transaction() as s:
            record_event(s, 1 + k % 500, "milestone.updated",
                         {"milestone": {"id": 1, "title": "Bench"}, "sent": time.time()})
    expected = total * clients
    deadline = time.time() + 60
    while len(latencies) < expected and time.time() < deadline:
        time.sleep(0.5)
    print(f"delivered {len(latencies)} of {expected}")
    for c in conns:
        c.disconnect()
    return latencies


def main(url: str) -> None:
    proc = start_server(url)
    try:
        for name, times in http_latency().items():
            print(f"{name}: p50 {statistics.median(times):.1f} ms, p95 {pct(times, 95):.1f} ms, "
                  f"p99 {pct(times, 99):.1f} ms (n={len(times)})")
        lat = feed_latency(url)
        if lat:
            print(f"feed delivery: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms, "
                  f"p99 {pct(lat, 99):.0f} ms, max {max(lat):.0f} ms (n={len(lat)})")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1])
