"""The measurement benchmark's watching Socket.IO clients (run.py's, not by
hand): Node socket.io-client by default (watchers.mjs, in a process of its
own), or python-socketio in a process of its own or beside the posters.
Every kind reports arrival times by batch client key, and its reconnects
and repeated events under `_reconnects` / `_repeats`."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def connect_watchers(
    base: str, token: str, workspace_id: int, n: int
) -> tuple[list, dict, threading.Lock]:
    """N clients watching the workspace as the pages do: a dropped connection
    reconnects and resubscribes from the last event it saw (`after`: with a
    workspace, its seq), so no event is missed or repeated. `received` maps a
    batch's client key to its arrival times, and counts reconnects and repeats
    under `_reconnects` / `_repeats`."""
    import socketio

    received: dict[str, list[float]] = {"_reconnects": [], "_repeats": []}
    lock = threading.Lock()

    def one(_i: int) -> Any:
        client = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        seen: set[int] = set()
        state = {"seq": 0, "connected": False}

        @client.on("connect")
        def on_connect():  # noqa: ANN202
            if state["connected"]:  # a reconnect: resume from the cursor
                with lock:
                    received["_reconnects"].append(time.time())
                client.emit("feed:subscribe", {"workspace_id": workspace_id, "after": state["seq"]})
            state["connected"] = True

        @client.on("event")
        def on_event(env):  # noqa: ANN001, ANN202
            # python-socketio runs each handler in a thread of its own.
            now = time.time()  # epoch: compared with the posters' send times
            with lock:
                if env["id"] in seen:
                    received["_repeats"].append(now)
                    return
                seen.add(env["id"])
                state["seq"] = max(state["seq"], env["seq"])
                if env["type"] == "trial.measurements_recorded":
                    received.setdefault(env["data"].get("client_key"), []).append(now)

        client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        ack = client.call("feed:subscribe", {"workspace_id": workspace_id}, timeout=20)
        assert ack["ok"], ack
        return client

    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(one, range(n)))
    return clients, received, lock


def disconnect_all(clients: list) -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda c: c.disconnect(), clients))


def watcher_process(base: str, token: str, workspace_id: int, n: int, conn: Any) -> None:
    """Child process: hold the clients; answer "report" with what arrived."""
    clients, received, lock = connect_watchers(base, token, workspace_id, n)
    conn.send("ready")
    while True:
        message = conn.recv()
        if message == "report":
            with lock:
                conn.send({k: list(v) for k, v in received.items()})
        else:
            break
    disconnect_all(clients)
    conn.send("bye")


class Watchers:
    """The watching clients: Node's socket.io-client by default (watchers.mjs;
    they cost the shared cores little), or python-socketio in a process of
    their own (`python`) or beside the posters (`in-process`)."""

    def __init__(self, base: str, token: str, workspace_id: int, n: int, kind: str) -> None:
        self.kind = kind
        if kind == "in-process":
            self.clients, self._received, self._lock = connect_watchers(
                base, token, workspace_id, n
            )
            return
        if kind == "node":
            if not (HERE / "node_modules").exists():
                subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
            self.node = subprocess.Popen(
                ["node", str(HERE / "watchers.mjs"), base, token, str(workspace_id), str(n)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            if self.node.stdout.readline().strip() != "ready":
                raise SystemExit("watchers failed to connect")
            return
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=watcher_process, args=(base, token, workspace_id, n, child), daemon=True
        )
        self.proc.start()
        if not self._conn.poll(120) or self._conn.recv() != "ready":
            raise SystemExit("watchers failed to connect")

    def received(self) -> dict[str, list[float]]:
        if self.kind == "in-process":
            with self._lock:
                return {k: list(v) for k, v in self._received.items()}
        if self.kind == "node":
            self.node.stdin.write("report\n")
            self.node.stdin.flush()
            return json.loads(self.node.stdout.readline())
        self._conn.send("report")
        return self._conn.recv()

    def close(self) -> None:
        if self.kind == "in-process":
            disconnect_all(self.clients)
            return
        if self.kind == "node":
            self.node.stdin.write("stop\n")
            self.node.stdin.flush()
            self.node.wait(30)
            return
        self._conn.send("stop")
        self._conn.poll(60)
        self.proc.join(10)
