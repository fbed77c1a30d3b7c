"""Co-editing benchmark driver (by hand, not part of the test suite).

Servers, each pinned to core 0 (taskset), load generators pinned to core 1:
  py   JointLab (`python wsgi.py`: Flask-SocketIO on gevent since issue 14 (results
       before it were threading), every update committed before its ack), on SQLite
       or on PostgreSQL + Redis;
  sio  bench/coediting/node_server.mjs: socket.io 4.8, in-memory Y.Doc, the same doc:* events;
  yws  the stock y-websocket server (@y/websocket-server 0.1.1) with y-websocket clients.

  python bench/coediting/bench.py fanout --ns 10,100,500 --rounds 2
  python bench/coediting/bench.py fanout --ns 100 --writers 2 --rate 20 --servers py,sio
  python bench/coediting/bench.py multi --ns 500 --documents 50 --rate 7 --servers py,sio
  python bench/coediting/bench.py idle --conns 10000 --secs 60 --servers py,sio
  python bench/coediting/bench.py ramp --ns 10,100,500 --rates 50,100,200,400,800
  python bench/coediting/bench.py memory --conns 500 --docs 100
  add --backend pg for PostgreSQL + Redis (JointLab only; the peers store nothing)

Each run appends one JSON line to --out; the servers alternate run by run
(A B C A B C). Before each run the CPU time used by everyone else on the
machine is sampled for 2 s (`others_busy`, in cores); the run waits up to 30 s
for it to fall under --max-busy and records it either way.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from servers import HERE, Servers, clear_redis, rss_kb, wait_quiet  # same directory


def _alive(servers: Servers, name: str) -> bool:
    """False if it had died (or a neighbour's cleanup killed it) and was started again."""
    if servers.procs[name].poll() is None:
        return True
    print(f"{name} exited with {servers.procs[name].returncode}; restarting", flush=True)
    servers.start(name)
    return False


def load(
    servers: Servers,
    name: str,
    n: int,
    rate: int,
    secs: int,
    max_busy: float,
    writers: int = 1,
    documents: int = 1,
) -> dict:
    """N clients over DOCUMENTS fresh documents, WRITERS per document each
    sending RATE updates/s (load.mjs)."""
    busy = wait_quiet(max_busy)
    restarted = not _alive(servers, name)
    docs = [servers.fresh_doc(name) for _ in range(documents)]
    proto = "yws" if name == "yws" else "sio"
    args = [
        "taskset",
        "-c",
        "1",
        "node",
        str(HERE / "load.mjs"),
        proto,
        servers.url(name),
        str(docs[0]),
        str(n),
        str(rate),
        str(secs),
    ]
    if name == "py":
        args.append(servers.setup["token"])
    env = dict(
        os.environ,
        SERVER_PID=str(servers.procs[name].pid),
        WRITERS=str(writers),
        DOC_IDS=",".join(map(str, docs)),
    )
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except Exception:
        result = {"error": (out.stderr or out.stdout)[-500:]}
    result.update(
        server=name,
        backend=servers.backend if name == "py" else "memory",
        others_busy_before=busy,
        server_rss_kb=rss_kb(servers.procs[name].pid),
        server_restarted=restarted,
    )
    return result


TAG = ""


def emit(out: Path, row: dict) -> None:
    if TAG:
        row["tag"] = TAG
    print(json.dumps(row), flush=True)
    with out.open("a") as f:
        f.write(json.dumps(row) + "\n")


def cmd_fanout(args: argparse.Namespace, servers: Servers) -> None:
    """One document; --writers of them each at --rate (the issue's row: 2 x 20/s, N=100)."""
    _rounds(args, servers, "fanout")


def cmd_multi(args: argparse.Namespace, servers: Servers) -> None:
    """N clients over --documents documents, --writers per document at --rate
    (the issue's row: 500 clients, 50 documents, 50 writers x 7/s): every
    update delivered (delivered == expected) and the p99."""
    _rounds(args, servers, "multi", documents=args.documents)


def _rounds(args: argparse.Namespace, servers: Servers, kind: str, **extra: int) -> None:
    for name in servers.which:
        servers.start(name)
    for n in args.ns:
        for r in range(1, args.rounds + 1):
            for name in servers.which:
                row = load(
                    servers,
                    name,
                    n,
                    args.rate,
                    args.secs,
                    args.max_busy,
                    writers=args.writers,
                    **extra,
                )
                emit(args.out, {"kind": kind, "round": r, **row})


def cmd_idle(args: argparse.Namespace, servers: Servers) -> None:
    """--conns idle authenticated connections to one process, held --secs:
    dropped connections and how late the heartbeats came (idle.mjs)."""
    for name in servers.which:
        servers.start(name)
    for r in range(1, args.rounds + 1):
        for name in servers.which:
            busy = wait_quiet(args.max_busy)
            restarted = not _alive(servers, name)
            proc = servers.procs[name]
            before = rss_kb(proc.pid)
            cmd = [
                "taskset",
                "-c",
                "1",
                "node",
                str(HERE / "idle.mjs"),
                servers.url(name),
                str(args.conns),
                str(args.secs),
            ]
            if name == "py":
                cmd.append(servers.setup["token"])
            holder = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            peak = before
            while holder.poll() is None:  # RSS while the connections are held
                peak = max(peak, rss_kb(proc.pid))
                time.sleep(1)
            out, err = holder.communicate()
            try:
                row = json.loads(out.strip().splitlines()[-1])
            except Exception:
                row = {"error": (err or out)[-500:]}
            row.update(
                server=name,
                backend=servers.backend if name == "py" else "memory",
                others_busy_before=busy,
                server_restarted=restarted,
                rss_before_kb=before,
                rss_peak_kb=peak,
                per_conn_kb=round((peak - before) / max(1, args.conns), 1),
            )
            emit(args.out, {"kind": "idle", "round": r, **row})


def _sustained(row: dict, max_p50: float, max_lag: float) -> bool:
    """Kept up: everything delivered, the backlog gone within max_lag of the
    last send, and the median under max_p50 (p99 is reported, not judged: on
    a shared 2-core machine it mostly measures the neighbours)."""
    return (
        row.get("delivered") == row.get("expected")
        and row.get("p50_ms") is not None
        and row["p50_ms"] <= max_p50
        and row["lag_ms"] <= max_lag
    )


def cmd_ramp(args: argparse.Namespace, servers: Servers) -> None:
    for name in servers.which:
        servers.start(name)
    for n in args.ns:
        alive = list(servers.which)
        for rate in args.rates:
            for name in list(alive):
                for attempt in (1, 2):  # a failed step is tried once more
                    row = load(servers, name, n, rate, args.secs, args.max_busy)
                    row["sustained"] = _sustained(row, args.max_p50, args.max_lag)
                    emit(args.out, {"kind": "ramp", "attempt": attempt, **row})
                    if row["sustained"]:
                        break
                else:
                    alive.remove(name)
            if not alive:
                break


def cmd_memory(args: argparse.Namespace, servers: Servers) -> None:
    """Fresh server per phase (freed memory is not always returned to the OS):
    RSS before, and while COUNT connections are held open."""
    servers.node_flags = ["--expose-gc", "--import", str(HERE / "gc_on_signal.mjs")]
    text_file = servers.work / "text.md"
    text_file.write_text(servers.setup["text"])
    for rnd in range(1, args.rounds + 1):
        for phase, count in (("conns", args.conns), ("docs", args.docs)):
            for name in servers.which:
                try:
                    row = _memory_phase(args, servers, name, rnd, phase, count, text_file)
                except Exception as err:  # record it and go on with the others
                    row = {"server": name, "phase": phase, "error": str(err)[-300:]}
                    servers.stop(name)
                emit(args.out, {"kind": "memory", "round": rnd, **row})


def _memory_phase(
    args: argparse.Namespace,
    servers: Servers,
    name: str,
    rnd: int,
    phase: str,
    count: int,
    text_file: Path,
) -> dict:
    busy = wait_quiet(args.max_busy)
    proc = servers.start(name)
    proto = "yws" if name == "yws" else "sio"
    warm = _hold(servers, name, proto, "conns", 1, text_file)  # load the code paths
    _release(warm)
    before = settled_rss(proc)
    if name == "py":
        ids = servers.setup["documents"]
        first = ids[0] if phase == "conns" else 0
        docs = ",".join(map(str, ids[1 : count + 1]))
        env = {"DOC_IDS": docs} if phase == "docs" else {}
    else:
        first = 5000 + rnd * 1000 if phase == "docs" else 4000 + rnd
        env = {"SEED": "1"}
    t0 = time.time()
    holder = _hold(servers, name, proto, phase, count, text_file, first, env)
    ready = time.time() - t0
    during = settled_rss(proc)
    _release(holder)
    servers.stop(name)
    return {
        "server": name,
        "backend": servers.backend if name == "py" else "memory",
        "phase": phase,
        "count": count,
        "connections": holder.connections,
        "rss_before_kb": before,
        "rss_during_kb": during,
        "per_item_kb": round((during - before) / count, 1),
        "open_s": round(ready, 1),
        "others_busy_before": busy,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def settled_rss(proc: subprocess.Popen[bytes]) -> int:
    """RSS after a full collection (Node: SIGUSR2 -> gc(), see gc_on_signal.mjs;
    CPython frees by reference counting, gc.collect only matters for cycles)."""
    time.sleep(2)
    if "node" in str(proc.args):
        proc.send_signal(signal.SIGUSR2)
        time.sleep(1)
    return rss_kb(proc.pid)


def _hold(
    servers: Servers,
    name: str,
    proto: str,
    mode: str,
    count: int,
    text_file: Path,
    first: int | None = None,
    extra_env: dict | None = None,
) -> subprocess.Popen[str]:
    if first is None:
        first = servers.setup["document_id"] if name == "py" else 1
    args = [
        "taskset",
        "-c",
        "1",
        "node",
        str(HERE / "mem.mjs"),
        proto,
        servers.url(name),
        mode,
        str(count),
        str(first),
        str(text_file),
    ]
    if name == "py":
        args.append(servers.setup["token"])
    proc = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **(extra_env or {})),
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("ready"):
        proc.kill()
        raise RuntimeError(f"memory holder failed: {line!r}")
    proc.connections = int(line.split()[2])  # type: ignore[attr-defined]
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    time.sleep(1)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the servers
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["fanout", "multi", "idle", "ramp", "memory"])
    parser.add_argument("--backend", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--servers", default="py,sio,yws")
    parser.add_argument("--ns", default="10,100,500")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--rates", default="50,100,200,400,800,1600")
    parser.add_argument("--secs", type=int, default=10)
    parser.add_argument("--max-p50", type=float, default=100.0)
    parser.add_argument("--max-lag", type=float, default=1000.0)
    parser.add_argument("--max-busy", type=float, default=1.0)
    parser.add_argument("--conns", type=int, default=500)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--writers", type=int, default=1, help="per document")
    parser.add_argument("--documents", type=int, default=50, help="multi: documents per run")
    parser.add_argument("--tag", default="", help="recorded with each run, e.g. before/after")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "runs.jsonl")
    args = parser.parse_args()
    args.ns = [int(x) for x in args.ns.split(",")]
    args.rates = [int(x) for x in args.rates.split(",")]
    args.out.parent.mkdir(exist_ok=True)
    global TAG  # noqa: PLW0603 - one run, one tag
    TAG = args.tag
    which = args.servers.split(",")
    runs = len(args.ns) * max(args.rounds, len(args.rates)) + 10
    if args.mode == "multi":
        runs = len(args.ns) * args.rounds * args.documents + 10
    # 10,000 connections need as many descriptors in the server and in the
    # client (both inherit this limit); the product leaves it to the operator.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = Servers(args.backend, which, max(args.docs + 2, runs))
    try:
        servers.prepare()
        {
            "fanout": cmd_fanout,
            "multi": cmd_multi,
            "idle": cmd_idle,
            "ramp": cmd_ramp,
            "memory": cmd_memory,
        }[args.mode](args, servers)
    finally:
        servers.cleanup()
        if args.backend == "pg":
            clear_redis()


if __name__ == "__main__":
    main()
