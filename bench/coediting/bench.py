"""Co-editing benchmark driver (by hand, not part of the test suite).

Servers, each pinned to core 0 (taskset), load generators pinned to core 1:
  py   JointLab (`python wsgi.py`: Flask-SocketIO on gevent since issue 14 (results
       before it were threading), every update committed before its ack), on SQLite
       or on PostgreSQL + Redis;
  sio  bench/coediting/node_server.mjs: socket.io 4.8, in-memory Y.Doc, the same doc:* events;
  yws  the stock y-websocket server (@y/websocket-server 0.1.1) with y-websocket clients.

  python bench/coediting/bench.py fanout --ns 10,100,500 --rounds 2
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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PORTS = {"py": 5071, "sio": 5072, "yws": 5073}
PG_DB = "jl_bench_coedit"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NAMESPACE = "jlbench-coedit"


def cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def others_busy(seconds: float = 2.0) -> float:
    """Cores kept busy by everything on the machine while our servers idle."""
    b0, t0 = cpu_ticks()
    time.sleep(seconds)
    b1, t1 = cpu_ticks()
    return round((b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 2), 2)


def wait_quiet(limit: float) -> float:
    deadline = time.time() + 30
    busy = others_busy()
    while busy > limit and time.time() < deadline:
        time.sleep(5)
        busy = others_busy()
    return busy


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Servers:
    def __init__(self, backend: str, which: list[str], extra_docs: int) -> None:
        self.backend = backend
        self.which = which
        self.work = Path(tempfile.mkdtemp(prefix="jl-coedit-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env = dict(os.environ, INSTANCE_PATH=str(self.work / "instance"),
                        JOINTLAB_NO_DEMO="1", PYTHONPATH=str(ROOT))
        self.env.pop("REDIS_URL", None)
        if backend == "pg":
            self.env.update(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}",
                            REDIS_URL="redis://127.0.0.1:6379/0", REDIS_NAMESPACE=NAMESPACE)
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{self.work}/bench.db"
        self.setup: dict[str, Any] = {}
        self.extra_docs = extra_docs
        self.used: dict[str, int] = {}
        self.node_flags: list[str] = []

    def prepare(self) -> None:
        if "py" not in self.which:
            self.setup = {"text": _template_text(), "token": None}
            return
        if self.backend == "pg":
            _reset_pg()
            subprocess.run([sys.executable, "-c", "import os; from workspace.migrations import "
                            "upgrade; upgrade(os.environ['DATABASE_URL'])"],
                           env=self.env, cwd=ROOT, check=True, capture_output=True)
        out = subprocess.run([sys.executable, str(HERE / "setup_python.py"), str(self.extra_docs)],
                             env=self.env, cwd=ROOT, check=True, capture_output=True, text=True)
        self.setup = json.loads(out.stdout.strip().splitlines()[-1])

    def start(self, name: str) -> subprocess.Popen[bytes]:
        port = PORTS[name]
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        if name == "py":
            cmd = [sys.executable, "wsgi.py"]
            env = dict(self.env, PORT=str(port))
        elif name == "sio":
            cmd = ["node", *self.node_flags, str(HERE / "node_server.mjs"), str(port)]
            env = dict(os.environ)
        else:
            cmd = ["node", *self.node_flags,
                   str(HERE / "node_modules/@y/websocket-server/src/server.js")]
            env = dict(os.environ, HOST="127.0.0.1", PORT=str(port))
        proc = subprocess.Popen(["taskset", "-c", "0", *cmd], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        for _ in range(300):
            try:
                if name == "py":
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                else:  # the socket.io server answers nothing outside /socket.io/
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{name} did not start; see {self.work}/{name}.log")
        time.sleep(0.5)
        return proc

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def fresh_doc(self, name: str) -> int:
        """A document nobody has edited yet, so runs do not depend on each other."""
        self.used[name] = self.used.get(name, 0) + 1
        if name == "py":
            return self.setup["documents"][-self.used[name]]  # the memory runs use the first
        return 1000 + self.used[name]

    def url(self, name: str) -> str:
        return f"{'ws' if name == 'yws' else 'http'}://127.0.0.1:{PORTS[name]}"

    def cleanup(self) -> None:
        self.stop_all()
        shutil.rmtree(self.work, ignore_errors=True)


def _template_text() -> str:
    sys.path.insert(0, str(ROOT))
    from workspace.documents.template import statement_template

    return statement_template("Bench")


def _reset_pg() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()


def clear_redis() -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"{NAMESPACE}*"):
        client.delete(key)


def load(servers: Servers, name: str, n: int, rate: int, secs: int, max_busy: float) -> dict:
    busy = wait_quiet(max_busy)
    restarted = servers.procs[name].poll() is not None
    if restarted:  # it died (or a neighbour's cleanup killed it): say so, start it again
        print(f"{name} exited with {servers.procs[name].returncode}; restarting", flush=True)
        servers.start(name)
    doc = servers.fresh_doc(name)
    proto = "yws" if name == "yws" else "sio"
    args = ["taskset", "-c", "1", "node", str(HERE / "load.mjs"), proto, servers.url(name),
            str(doc), str(n), str(rate), str(secs)]
    if name == "py":
        args.append(servers.setup["token"])
    env = dict(os.environ, SERVER_PID=str(servers.procs[name].pid))
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except Exception:
        result = {"error": (out.stderr or out.stdout)[-500:]}
    result.update(server=name, backend=servers.backend if name == "py" else "memory",
                  others_busy_before=busy, server_rss_kb=rss_kb(servers.procs[name].pid),
                  server_restarted=restarted)
    return result


TAG = ""


def emit(out: Path, row: dict) -> None:
    if TAG:
        row["tag"] = TAG
    print(json.dumps(row), flush=True)
    with out.open("a") as f:
        f.write(json.dumps(row) + "\n")


def cmd_fanout(args: argparse.Namespace, servers: Servers) -> None:
    for name in servers.which:
        servers.start(name)
    for n in args.ns:
        for r in range(1, args.rounds + 1):
            for name in servers.which:
                row = load(servers, name, n, args.rate, args.secs, args.max_busy)
                emit(args.out, {"kind": "fanout", "round": r, **row})


def _sustained(row: dict, max_p50: float, max_lag: float) -> bool:
    """Kept up: everything delivered, the backlog gone within max_lag of the
    last send, and the median under max_p50 (p99 is reported, not judged: on
    a shared 2-core machine it mostly measures the neighbours)."""
    return (row.get("delivered") == row.get("expected") and row.get("p50_ms") is not None
            and row["p50_ms"] <= max_p50 and row["lag_ms"] <= max_lag)


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


def _memory_phase(args: argparse.Namespace, servers: Servers, name: str, rnd: int,
                  phase: str, count: int, text_file: Path) -> dict:
    busy = wait_quiet(args.max_busy)
    proc = servers.start(name)
    proto = "yws" if name == "yws" else "sio"
    warm = _hold(servers, name, proto, "conns", 1, text_file)  # load the code paths
    _release(warm)
    before = settled_rss(proc)
    if name == "py":
        ids = servers.setup["documents"]
        first = ids[0] if phase == "conns" else 0
        docs = ",".join(map(str, ids[1:count + 1]))
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
    return {"server": name, "backend": servers.backend if name == "py" else "memory",
            "phase": phase, "count": count, "connections": holder.connections,
            "rss_before_kb": before, "rss_during_kb": during,
            "per_item_kb": round((during - before) / count, 1),
            "open_s": round(ready, 1), "others_busy_before": busy,
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def settled_rss(proc: subprocess.Popen[bytes]) -> int:
    """RSS after a full collection (Node: SIGUSR2 -> gc(), see gc_on_signal.mjs;
    CPython frees by reference counting, gc.collect only matters for cycles)."""
    time.sleep(2)
    if "node" in str(proc.args):
        proc.send_signal(signal.SIGUSR2)
        time.sleep(1)
    return rss_kb(proc.pid)


def _hold(servers: Servers, name: str, proto: str, mode: str, count: int, text_file: Path,
          first: int | None = None, extra_env: dict | None = None) -> subprocess.Popen[str]:
    if first is None:
        first = servers.setup["document_id"] if name == "py" else 1
    args = ["taskset", "-c", "1", "node", str(HERE / "mem.mjs"), proto, servers.url(name), mode,
            str(count), str(first), str(text_file)]
    if name == "py":
        args.append(servers.setup["token"])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(extra_env or {})))
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
    parser.add_argument("mode", choices=["fanout", "ramp", "memory"])
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
    servers = Servers(args.backend, which, max(args.docs + 2, runs))
    try:
        servers.prepare()
        {"fanout": cmd_fanout, "ramp": cmd_ramp, "memory": cmd_memory}[args.mode](args, servers)
    finally:
        servers.cleanup()
        if args.backend == "pg":
            clear_redis()


if __name__ == "__main__":
    main()
