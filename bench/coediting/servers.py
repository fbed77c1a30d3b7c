"""The servers the co-editing benchmark starts and what it samples around
them (bench.py): JointLab (`python wsgi.py`), the Node socket.io server and
the stock y-websocket server, on their own ports and a fresh database."""

from __future__ import annotations

import json
import os
import shutil
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
        self.env = dict(
            os.environ,
            INSTANCE_PATH=str(self.work / "instance"),
            JOINTLAB_NO_DEMO="1",
            PYTHONPATH=str(ROOT),
        )
        self.env.pop("REDIS_URL", None)
        if backend == "pg":
            self.env.update(
                DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}",
                REDIS_URL="redis://127.0.0.1:6379/0",
                REDIS_NAMESPACE=NAMESPACE,
            )
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
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import os; from workspace.migrations import "
                    "upgrade; upgrade(os.environ['DATABASE_URL'])",
                ],
                env=self.env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        out = subprocess.run(
            [sys.executable, str(HERE / "setup_python.py"), str(self.extra_docs)],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
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
            cmd = [
                "node",
                *self.node_flags,
                str(HERE / "node_modules/@y/websocket-server/src/server.js"),
            ]
            env = dict(os.environ, HOST="127.0.0.1", PORT=str(port))
        proc = subprocess.Popen(
            ["taskset", "-c", "0", *cmd], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
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
