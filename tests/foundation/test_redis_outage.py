"""Redis is a wake-up call, not the truth: with it gone, live events still arrive."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import LiveServer, SocketClients, wait_for
from tests.faults.processes import Redis
from tests.foundation.test_processes import ROOT, _env

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs the redis-server binary"
)


def test_events_committed_while_redis_is_down_still_reach_live_clients(settings):
    from jobs.queue import jobs
    from tests.conftest import Make
    from workspace import serving
    from workspace.app import create_app
    from workspace.db import db

    redis_server = Redis()
    redis_server.start()
    app = create_app(settings.with_overrides(redis_url=redis_server.url))
    serving.start(app)
    server = LiveServer(app).start()
    clients = SocketClients(server.url)
    try:
        make = Make()
        ws = make.workspace()
        watcher = clients.connect(token=make.token(ws.partner, ("read",)))
        assert watcher.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
        redis_server.stop(kill=True)
        # Committed by another process: no bus message can reach this one.
        script = (
            "from workspace.app import create_app\n"
            "from workspace.db import db\n"
            "from workspace.spaces import service\n"
            "from workspace.auth.models import User\n"
            "create_app()\n"
            "for i in range(3):\n"
            "    with db.transaction() as s:\n"
            f"        service.update_workspace(s, s.get(User, {ws.owner.id}), {ws.id}, "
            "{'summary': f'outage {i}'})\n"
        )
        env = _env(settings)
        env.pop("REDIS_URL", None)
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        wait_for(
            lambda: len([e for e in watcher.received if e["type"] == "workspace.updated"]) == 3,
            timeout=15,
        )
        # Redis back: everything keeps flowing, nothing is repeated.
        redis_server.start()  # the same port
        time.sleep(1.5)
        make.add_member(ws, make.user(name="After"), "viewer")
        wait_for(lambda: any(e["type"] == "member.added" for e in watcher.received), timeout=15)
        seqs = [e["seq"] for e in watcher.received]
        assert seqs == sorted(set(seqs))
    finally:
        clients.close()
        server.stop()
        serving.stop(app)
        jobs.backend.shutdown()
        db.dispose()
        redis_server.stop(kill=True)
