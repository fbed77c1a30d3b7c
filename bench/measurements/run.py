"""Measurements ingest benchmark (run by hand; not part of the tests).

    python bench/measurements/run.py [--watchers 50] [--seconds 10] [--posters 4]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/jl_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 python bench/measurements/run.py

For batches of 1 and of 1,000 measurements: measurements ingested per second
by POST /api/v1/trials/{id}/measurements while N Socket.IO clients watch the
trial's workspace live, as a ratio to a bare Flask endpoint that parses the
same JSON and stores the rows in one transaction (COPY on PostgreSQL), served
the same way in the same run; the latency from sending the POST to each
watching client receiving the event (p50/p99); and the CPU the server process
spent per request (steadier than rates on a shared machine).
`--seed-readings 1000000` first gives the trial (and the bare table) a
million readings: run with and without it to see whether a batch's cost grows
with the readings a trial holds. The watchers reconnect and resume from their
cursor as the pages do; the rows count their reconnects (and repeats: none).

The watching clients are Node socket.io-client in a process of their own
(watchers.mjs): 50 python-socketio clients took a whole core of the two the
server shares with them, and starved it (`--watcher-clients python` runs
those in their own process, `in-process` beside the posters, as the first
versions of this benchmark did). `BENCH_DATABASE_URL` is dropped and recreated. With
`BENCH_REDIS_URL` the server also starts an RQ worker (`flask --app wsgi
worker`), as a deployment with Redis has. `--profile yappi-cpu` (or
`yappi-wall`) profiles the server during each JointLab load phase and prints
where the summaries are; `--profile py-spy` samples each such phase with
py-spy (Python frames, without pausing the server: its native mode paused it
enough to cut the rate tenfold) and `py_spy_self.py` sums the raw files by
function.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from watching import Watchers  # same directory (run as a script)

HERE = Path(__file__).resolve().parent


def sample(pid: int, seconds: float, out: str) -> subprocess.Popen:
    """py-spy over the server for a load phase (the venv's py-spy, if any)."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [str(spy if spy.exists() else "py-spy"), "record", "--pid", str(pid), "--nonblocking"]
        + ["--duration", str(max(1, int(seconds) - 1)), "--rate", "200", "-f", "raw", "-o", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_servers(
    root: Path, profile: str | None, profile_out: str
) -> tuple[subprocess.Popen, dict]:
    env = dict(os.environ)
    if profile and profile.startswith("yappi"):
        env.update(BENCH_PROFILE=profile, BENCH_PROFILE_OUT=profile_out)
    proc = subprocess.Popen(
        [sys.executable, str(root / "bench/measurements/server.py")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env=env,
    )
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("benchmark server failed to start")
    return proc, json.loads(line)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ load
def payload(batch: int, key: str | None) -> list[dict]:
    metrics = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")
    items = [{"metric": metrics[i % 3], "value": 50.0 + (i % 17) / 10} for i in range(batch)]
    if key:
        for item in items:
            item["client_key"] = key
    return items


def load(
    url: str, headers: dict, batch: int, seconds: float, posters: int, with_keys: bool
) -> tuple[float, dict[str, float]]:
    """Post for `seconds` from `posters` threads; measurements/s and send times."""
    sent: dict[str, float] = {}
    counts = [0] * posters
    stop = time.monotonic() + seconds
    bodies = {}

    def worker(i: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            key = uuid.uuid4().hex if with_keys else None
            body = (
                json.dumps(payload(batch, key))
                if with_keys
                else bodies.setdefault(batch, json.dumps(payload(batch, None)))
            )
            t0 = time.time()  # epoch: the watchers may be Node (watchers.mjs)
            if key:
                sent[key] = t0
            resp = session.post(
                url, data=body, timeout=60, headers={**headers, "Content-Type": "application/json"}
            )
            if resp.status_code != 201:
                raise SystemExit(f"{url}: {resp.status_code} {resp.text[:200]}")
            counts[i] += batch

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(posters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start), sent


def wait_for_file(path: Path, timeout: float = 120) -> None:
    """The server writes a profile between phases; let it finish first."""
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--batches", default="1,1000")
    parser.add_argument(
        "--watcher-clients",
        choices=("node", "python", "in-process"),
        default="node",
        help="Node socket.io-client (default), python-socketio in a process of its "
        "own, or python-socketio beside the posters",
    )
    parser.add_argument("--profile", choices=("yappi-cpu", "yappi-wall", "py-spy"))
    parser.add_argument("--profile-out", default="/tmp/jl-bench-profile")
    parser.add_argument(
        "--root",
        type=Path,
        default=HERE.parents[1],
        help="the JointLab tree to serve (compare two checkouts)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument(
        "--seed-readings",
        type=int,
        default=0,
        help="give the trial (and the bare table) this many readings "
        "first, e.g. 1000000: is a batch's cost flat?",
    )
    args = parser.parse_args()

    os.environ["BENCH_SEED_READINGS"] = str(args.seed_readings)
    proc, info = start_servers(args.root, args.profile, args.profile_out)
    try:
        app = f"http://127.0.0.1:{info['app_port']}"
        bare = f"http://127.0.0.1:{info['bare_port']}/parse"
        watchers = Watchers(
            app, info["read_token"], info["workspace_id"], args.watchers, args.watcher_clients
        )
        url = f"{app}/api/v1/trials/{info['trial_id']}/measurements"
        auth = {"Authorization": f"Bearer {info['line_token']}"}
        rows = []
        phase = 0
        for batch in (int(b) for b in args.batches.split(",")):
            bare_rate, _ = load(bare, {}, batch, args.seconds, args.posters, False)
            spy = None
            if args.profile == "py-spy":
                spy = sample(proc.pid, args.seconds, f"{args.profile_out}.{phase + 1}.raw")
            elif args.profile:
                proc.send_signal(signal.SIGUSR1)
            cpu0 = cpu_seconds(proc.pid)
            rate, sent = load(url, auth, batch, args.seconds, args.posters, True)
            deadline = time.monotonic() + 30
            while True:
                received = watchers.received()
                got = sum(len(received.get(k, [])) for k in sent)
                if got >= len(sent) * args.watchers or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            cpu = cpu_seconds(proc.pid) - cpu0
            if spy is not None:
                spy.wait()
                phase += 1
            elif args.profile:
                proc.send_signal(signal.SIGUSR2)
                phase += 1
                wait_for_file(Path(f"{args.profile_out}.{phase}.txt"))
            lat = [(t - sent[k]) * 1000 for k in sent for t in received.get(k, [])]
            delivered = len(lat) / max(1, len(sent) * args.watchers)
            rows.append(
                {
                    "batch": batch,
                    "seeded": args.seed_readings,
                    "reconnects": len(received["_reconnects"]),
                    "repeats": len(received["_repeats"]),
                    "requests": len(sent),
                    "rate": rate,
                    "bare_rate": bare_rate,
                    "ratio": rate / bare_rate,
                    "p50": percentile(lat, 50) if lat else float("nan"),
                    "p99": percentile(lat, 99) if lat else float("nan"),
                    "cpu_ms": cpu * 1000 / max(1, len(sent)),
                    "delivered": delivered,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        watchers.close()
    finally:
        proc.terminate()
        proc.wait(30)
    if args.profile:
        kind = "raw" if args.profile == "py-spy" else "txt"
        print(f"profiles: {args.profile_out}.N.{kind} (N = phase, in the order of --batches)")
    if not args.no_write:
        write_results(rows, args)


def write_results(rows: list[dict], args: argparse.Namespace) -> None:
    backend = (
        "PostgreSQL + Redis"
        if os.environ.get("BENCH_DATABASE_URL")
        else "SQLite, in-process bus (embedded defaults)"
    )
    if args.seed_readings:
        backend += f", trial holding {args.seed_readings:,} readings"
    where = {
        "node": "(Node socket.io-client, watchers.mjs) in a process of their own",
        "python": "(python-socketio) in a process of their own",
        "in-process": "(python-socketio) beside the load generator, in its process",
    }[args.watcher_clients]
    worker = (
        ", and an RQ worker (`flask --app wsgi worker`) runs the outbox consumers"
        if os.environ.get("BENCH_REDIS_URL")
        else ""
    )
    lines = [
        f"## {backend}",
        "",
        f"`python bench/measurements/run.py --watchers {args.watchers} --seconds "
        f"{args.seconds:g} --posters {args.posters}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {backend}. "
        "Both servers are gevent's WSGI server in one process (as `python wsgi.py`)"
        f"{worker}; the load generator runs in another process and the watching Socket.IO "
        f"clients {where}, all on the same machine.",
        "",
        f"| batch | readings before | requests | measurements/s | bare Flask parse + store, "
        f"measurements/s | ratio | latency POST → {args.watchers} watchers p50 | p99 | "
        "events delivered | watcher reconnects (so far) | server CPU per request |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['batch']:,} | {r['seeded']:,} | {r['requests']:,} | "
            f"{r['rate']:,.0f} | {r['bare_rate']:,.0f} | {r['ratio']:.2f} | "
            f"{r['p50']:.0f} ms | {r['p99']:.0f} ms | {r['delivered']:.0%} | "
            f"{r['reconnects']} | {r['cpu_ms']:.1f} ms |"
        )
    out = HERE / "RESULTS.md"
    existing = out.read_text() if out.exists() else ""
    marker = f"<!-- latest run: {backend} -->"
    section = marker + "\n" + "\n".join(lines) + "\n"
    if marker in existing:
        before, _, rest = existing.partition(marker)
        after = rest.split("<!-- ", 1)
        existing = before + section + ("\n<!-- " + after[1] if len(after) > 1 else "")
    else:
        existing = existing + ("\n" if existing else "") + section
    out.write_text(existing)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
