"""Real services the notification tests talk to: an HTTP receiver in a
thread, a worker process for the Redis backend, and event helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: str = '{"ok": true}'
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Answers POSTs with the queued replies in order, then `default`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    payload = reply.body.encode()
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (timeout); that is the point

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def emit(workspace_id: int, type_: str, data: dict[str, Any], actor: Any = None) -> None:
    """Commit an event the way every service does (the outbox's only input)."""
    from workspace.db import db
    from workspace.events.log import record_event

    with db.transaction() as s:
        record_event(s, workspace_id, type_, data, actor)


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOINTLAB_TEST",))}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key,
            "INSTANCE_PATH": str(settings.instance_path),
            "WEBHOOK_ALLOW_PRIVATE": "1" if settings.webhook_allow_private else "0",
            "WEBHOOK_RETRY_SCHEDULE": ",".join(str(x) for x in settings.webhook_retry_schedule),
            "WEBHOOK_TIMEOUT": str(settings.webhook_timeout),
            "PUBLIC_URL": settings.public_url,
            "REDIS_NAMESPACE": settings.redis_namespace,
            "JOINTLAB_NO_DEMO": "1",
        }
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    if settings.smtp_url:
        env["SMTP_URL"] = settings.smtp_url
    env.update(extra)
    return env


def start_worker(settings: Any, **extra: str) -> subprocess.Popen:
    """A real `flask --app wsgi worker`. Its log goes to a file, never to a
    pipe nobody reads: a worker logging through an outage would fill the
    pipe's 64 KiB and block on its next log line, mid-job."""
    with tempfile.NamedTemporaryFile(prefix="jl-worker-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env={**worker_env(settings, **extra), "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proc.log_path = Path(log.name)  # type: ignore[attr-defined]
    return proc


def wait_listening(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until the worker has registered with Redis and waits for jobs."""
    from tests.conftest import wait_for

    wait_for(
        lambda: "Listening on" in worker_log(proc, tail=10**6) or proc.poll() is not None,
        timeout=timeout,
    )
    assert proc.poll() is None, worker_log(proc)


def worker_log(proc: subprocess.Popen, tail: int = 4000) -> str:
    """The end of a worker's log, for a failing assertion's message."""
    path = getattr(proc, "log_path", None)
    return path.read_text(errors="replace")[-tail:] if path and path.exists() else ""


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    path = getattr(proc, "log_path", None)
    if path is not None:
        path.unlink(missing_ok=True)


def reach_milestone(api: Any, ws: Any, title: str = "Yield ≥ 92%") -> dict[str, Any]:
    """Create and reach a milestone through the API, as an owner would."""
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/milestones", json={"title": title})
    assert resp.status_code == 201, resp.get_json()
    milestone = resp.get_json()
    resp = api.as_(ws.owner).post(f"/milestones/{milestone['id']}/reach")
    assert resp.status_code == 200, resp.get_json()
    return milestone
