"""Measurements ingest benchmark (run by hand; not part of the tests).

    python bench/measurements/run.py [--watchers 50] [--seconds 10] [--posters 4]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/jl_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 python bench/measurements/run.py

For batches of 1 and of 1,000 measurements: measurements ingested per second
by POST /api/v1/trials/{id}/measurements while N Socket.IO clients watch the
trial's workspace live, as a ratio to a bare Flask endpoint that only parses
the same JSON, served the same way in the same run; and the latency from
sending the POST to each watching client receiving the event (p50/p99).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
import socketio

HERE = Path(__file__).resolve().parent


def start_servers() -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, str(HERE / "server.py")], stdout=subprocess.PIPE,
                            text=True, cwd=HERE.parents[1])
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("benchmark server failed to start")
    return proc, json.loads(line)


def connect_watchers(base: str, token: str, workspace_id: int, n: int) -> tuple[list, dict]:
    received: dict[str, list[float]] = {}
    lock = threading.Lock()
    clients = []
    for _ in range(n):
        client = socketio.Client(reconnection=False)

        @client.on("event")
        def on_event(env, _c=client):  # noqa: ANN001, ANN202
            if env["type"] == "trial.measurements_recorded":
                key = env["data"].get("client_key")
                with lock:
                    received.setdefault(key, []).append(time.perf_counter())

        client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        ack = client.call("feed:subscribe", {"workspace_id": workspace_id}, timeout=20)
        assert ack["ok"], ack
        clients.append(client)
    return clients, received


def payload(batch: int, key: str | None) -> list[dict]:
    metrics = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")
    items = [{"metric": metrics[i % 3], "value": 50.0 + (i % 17) / 10} for i in range(batch)]
    if key:
        for item in items:
            item["client_key"] = key
    return items


def load(url: str, headers: dict, batch: int, seconds: float, posters: int,
         with_keys: bool) -> tuple[float, dict[str, float]]:
    """Post for `seconds` from `posters` threads; measurements/s and send times."""
    sent: dict[str, float] = {}
    counts = [0] * posters
    stop = time.perf_counter() + seconds
    bodies = {}

    def worker(i: int) -> None:
        session = requests.Session()
        while time.perf_counter() < stop:
            key = uuid.uuid4().hex if with_keys else None
            body = json.dumps(payload(batch, key)) if with_keys else bodies.setdefault(
                batch, json.dumps(payload(batch, None)))
            t0 = time.perf_counter()
            if key:
                sent[key] = t0
            resp = session.post(url, data=body, timeout=60,
                                headers={**headers, "Content-Type": "application/json"})
            if resp.status_code != 201:
                raise SystemExit(f"{url}: {resp.status_code} {resp.text[:200]}")
            counts[i] += batch

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(posters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start), sent


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--posters", type=int, default=4)
    args = parser.parse_args()

    proc, info = start_servers()
    try:
        app = f"http://127.0.0.1:{info['app_port']}"
        bare = f"http://127.0.0.1:{info['bare_port']}/parse"
        clients, received = connect_watchers(app, info["read_token"], info["workspace_id"],
                                             args.watchers)
        url = f"{app}/api/v1/trials/{info['trial_id']}/measurements"
        auth = {"Authorization": f"Bearer {info['line_token']}"}
        rows = []
        for batch in (1, 1000):
            bare_rate, _ = load(bare, {}, batch, args.seconds, args.posters, False)
            rate, sent = load(url, auth, batch, args.seconds, args.posters, True)
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and sum(
                    len(received.get(k, [])) for k in sent) < len(sent) * args.watchers:
                time.sleep(0.2)
            lat = [(t - sent[k]) * 1000 for k in sent for t in received.get(k, [])]
            delivered = len(lat) / max(1, len(sent) * args.watchers)
            rows.append({"batch": batch, "requests": len(sent), "rate": rate,
                         "bare_rate": bare_rate, "ratio": rate / bare_rate,
                         "p50": percentile(lat, 50) if lat else float("nan"),
                         "p99": percentile(lat, 99) if lat else float("nan"),
                         "delivered": delivered})
            print(json.dumps(rows[-1]), flush=True)
        for client in clients:
            client.disconnect()
    finally:
        proc.terminate()
        proc.wait(10)
    write_results(rows, args)


def write_results(rows: list[dict], args: argparse.Namespace) -> None:
    import os

    backend = "PostgreSQL + Redis" if os.environ.get("BENCH_DATABASE_URL") else \
        "SQLite, in-process bus (embedded defaults)"
    lines = [
        "# Measurements ingest benchmark", "",
        f"`python bench/measurements/run.py --watchers {args.watchers} --seconds "
        f"{args.seconds:g} --posters {args.posters}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {backend}. "
        "Both servers are Werkzeug's threaded server in one process (as `python wsgi.py`); "
        "the load generator and the watching Socket.IO clients run in another process on "
        "the same machine.", "",
        f"| batch | requests | measurements/s | bare Flask parse, measurements/s | ratio | "
        f"latency POST → {args.watchers} watchers p50 | p99 | events delivered |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['batch']:,} | {r['requests']:,} | {r['rate']:,.0f} | "
                     f"{r['bare_rate']:,.0f} | {r['ratio']:.2f} | {r['p50']:.0f} ms | "
                     f"{r['p99']:.0f} ms | {r['delivered']:.0%} |")
    lines += ["", "Latency is measured under that same full load (the posters do not wait "
              "for the watchers), so it includes queueing behind other batches."]
    out = HERE / "RESULTS.md"
    existing = out.read_text() if out.exists() else ""
    marker = f"<!-- {backend} -->"
    section = marker + "\n" + "\n".join(lines) + "\n"
    if marker in existing:
        before, _, rest = existing.partition(marker)
        after = rest.split("<!-- ", 1)
        existing = before + section + ("<!-- " + after[1] if len(after) > 1 else "")
    else:
        existing = existing + ("\n" if existing else "") + section
    out.write_text(existing)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
