"""The processes a fault run starts, stops and kills: web processes, RQ
workers, a private Redis, and a TCP proxy in front of PostgreSQL that can cut
every connection at once."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import requests

from tests.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ processes
def env_of(settings: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTLAB_")}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key,
            "INSTANCE_PATH": str(settings.instance_path),
            "REDIS_URL": settings.redis_url,
            "REDIS_NAMESPACE": settings.redis_namespace,
            "WEBHOOK_ALLOW_PRIVATE": "1",
            "WEBHOOK_RETRY_SCHEDULE": ",".join(str(x) for x in settings.webhook_retry_schedule),
            "WEBHOOK_TIMEOUT": str(settings.webhook_timeout),
            "JOINTLAB_NO_DEMO": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class Proc:
    """A child process whose output goes to a file (a pipe nobody reads
    would fill and block it mid-request)."""

    def __init__(self, args: list[str], env: dict[str, str], name: str) -> None:
        self.name = name
        fd, path = tempfile.mkstemp(prefix=f"jl-fault-{name}-", suffix=".log")
        self.log_path = Path(path)
        with os.fdopen(fd, "w") as log:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses it."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self.log_path.unlink(missing_ok=True)


class Web(Proc):
    def __init__(self, settings: Any, name: str = "web") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([sys.executable, "wsgi.py"], env_of(settings, PORT=str(self.port)), name)

        def up() -> bool:
            try:
                return requests.get(self.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return not self.alive()

        wait_for(up, timeout=40)
        assert self.alive(), self.log()


class Worker(Proc):
    def __init__(self, settings: Any, name: str = "worker") -> None:
        super().__init__(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"], env_of(settings), name
        )
        wait_for(lambda: "Listening on" in self.log(10**6) or not self.alive(), timeout=60)
        assert self.alive(), self.log()


class Redis:
    """A private redis-server on a port of its own, which we may restart (the
    shared one on 6379 is never touched). No persistence: a restart loses
    every queued job, the harshest case."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)

        def pings() -> bool:
            try:
                return bool(client.ping())
            except Exception:
                return False

        wait_for(pings, timeout=10)

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            self.proc.wait(timeout=10)


class TcpProxy:
    """A TCP proxy we control in front of PostgreSQL. `cut()` makes the
    database unreachable the nasty way: open connections are reset, and new
    ones are accepted but never answered (a network partition, not a polite
    refusal), until `restore()`."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="pg-proxy").start()

    def url_for(self, database_url: str) -> str:
        return re.sub(r"@[^/]+/", f"@127.0.0.1:{self.port}/", database_url)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                with self._lock:  # held open, never answered
                    self._pairs.append((conn, None))
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                conn.close()
                continue
            with self._lock:
                self._pairs.append((conn, upstream))
            threading.Thread(target=self._pipe, args=(conn, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            while self.up.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if src is a else a).sendall(data)
        for s in (a, b):
            _reset(s)

    def cut(self) -> None:
        self.up.clear()

    def restore(self) -> None:
        with self._lock:  # the held connections are dropped: clients reconnect
            held = [c for c, upstream in self._pairs if upstream is None]
            self._pairs = [p for p in self._pairs if p[1] is not None]
        for conn in held:
            _reset(conn)
        self.up.set()

    def close(self) -> None:
        self._closed = True
        self.up.clear()
        self.listener.close()


def _reset(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # SO_LINGER 0: close with a RST, as a dead peer or a firewall would.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
