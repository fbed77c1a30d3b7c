"""The serving model as operators run it (`python wsgi.py`): gevent, one
greenlet per connection, nothing that blocks the hub, bounded WebSocket
frames, and a graceful stop on SIGTERM after which clients reconnect to the
next process."""

from __future__ import annotations

import base64
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

import pytest
import requests
import socketio

from tests.conftest import free_port, wait_for
from tests.documents.test_documents_api import statement_of
from tests.foundation.live_access import Conn, insert_update
from tests.foundation.test_processes import _serve, server_output

# Timing-sensitive (prompt acks, drops within 3 s): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return server_output(proc)


def _raw_websocket(port: int) -> socket.socket:
    """An Engine.IO WebSocket opened by hand, to send frames no client library
    would; returned once the Engine.IO open packet has arrived."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b'"sid"' not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bytes:
    """Read until the server closes the connection; what it sent."""
    sock.settimeout(within)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except ConnectionResetError:
        pass
    return got


def test_a_login_storm_does_not_stall_other_connections_and_frames_are_bounded(
    app, settings, make, api, production_password_cost
):
    """Argon2 runs off the hub: while four clients log in back to back (each
    login ~50 ms of C), an editor's updates are still acknowledged and relayed
    at once. (With the hashing on the hub, measured: one ack in 2.5 s, 3.4 s late;
    with it off the hub, on a machine at load 9: 5-100 acks, median 6-430 ms.)"""
    ws = make.workspace()
    doc = statement_of(api, ws)
    port = free_port()
    proc, url = _serve(settings, port)
    conns: list[Conn] = []
    try:
        editor = Conn(url, token=make.token(ws.owner))
        reader = Conn(url, token=make.token(ws.partner, ("read",)))
        conns += [editor, reader]
        for conn in conns:
            assert conn.call("doc:join", {"document_id": doc["id"]})["ok"]

        stop = threading.Event()
        logins: list[int] = []

        def log_in_again_and_again() -> None:
            while not stop.is_set():
                res = requests.post(
                    f"{url}/api/v1/auth/login",
                    timeout=30,
                    json={"email": ws.owner.email, "password": ws.owner.password},
                )
                logins.append(res.status_code)

        storm = [threading.Thread(target=log_in_again_and_again) for _ in range(4)]
        for t in storm:
            t.start()
        acks: list[float] = []
        try:
            wait_for(lambda: len(logins) >= 1, timeout=30)
            end = time.monotonic() + 4.0
            while time.monotonic() < end:
                started = time.monotonic()
                assert editor.call(
                    "doc:update", {"document_id": doc["id"], "update": insert_update("x")}
                )["ok"]
                acks.append(time.monotonic() - started)
        finally:
            stop.set()
            for t in storm:
                t.join()
        assert set(logins) == {200} and len(logins) >= 4
        # Generous bounds on a shared 2-core machine: prompt, not fast.
        assert len(acks) >= 5, acks
        assert statistics.median(acks) < 0.8, acks
        wait_for(lambda: len(reader.updates) == len(acks), timeout=15)

        # A frame claiming more than Socket.IO accepts is refused before it is
        # read (nothing allocated, nothing waited for); the process serves on.
        raw = _raw_websocket(port)
        huge = settings.max_message_bytes * 4
        raw.sendall(bytes([0x82, 0xFF]) + struct.pack("!Q", huge) + os.urandom(4) + b"x" * 100)
        started = time.monotonic()
        assert _closed_by_server(raw, within=10).startswith(b"\x88\x02")  # a close frame
        assert time.monotonic() - started < 5
        raw.close()
        # Text that is not UTF-8 closes that connection with 1007.
        raw = _raw_websocket(port)
        mask = os.urandom(4)
        payload = b"4\xff\xfe"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        sent = _closed_by_server(raw, within=10)
        assert b"\x88\x02\x03\xef" in sent, sent  # a close frame, code 1007
        raw.close()
        assert editor.call("doc:update", {"document_id": doc["id"], "update": insert_update("y")})[
            "ok"
        ]
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
    finally:
        for conn in conns:
            conn.close()
        out = _stop(proc)
    assert "serving: gevent" in out
    assert "development server" not in out and "Traceback" not in out, out


def test_sigterm_tells_clients_to_reconnect_and_they_do_to_the_next_process(app, settings, make):
    """A deploy: SIGTERM the process, start the next one on the same address.
    Connected clients are dropped at once (not left waiting for a ping
    timeout), the process exits within a few seconds, and the clients
    reconnect by themselves and go on."""
    ws = make.workspace()
    port = free_port()
    first, url = _serve(settings, port)
    second = None
    client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
    connects: list[float] = []
    drops: list[tuple[float, str]] = []
    replayed: list[dict] = []
    client.on("event", replayed.append)
    client.on("connect", lambda: connects.append(time.monotonic()))
    client.on("disconnect", lambda reason=None: drops.append((time.monotonic(), str(reason))))
    try:
        client.connect(
            url, auth={"token": make.token(ws.owner)}, transports=["websocket"], wait_timeout=10
        )
        assert client.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]
        started = time.monotonic()
        first.send_signal(signal.SIGTERM)
        wait_for(lambda: drops, timeout=5)
        assert drops[0][0] - started < 3
        first.wait(timeout=10)
        assert first.returncode == 0
        assert time.monotonic() - started < 8
        out = server_output(first)
        assert "Traceback" not in out, out

        make.add_member(ws, make.user(name="Meanwhile"), "viewer")
        second, _ = _serve(settings, port)
        wait_for(lambda: len(connects) == 2 and client.connected, timeout=20)
        # It resumes from its cursor: the replay (which waits for the
        # subscribe handler's greenlet, so the ack goes first) brings what it missed.
        replayed.clear()
        assert client.call("feed:subscribe", {"workspace_id": ws.id, "after": 0}, timeout=10)["ok"]
        wait_for(lambda: any(e["type"] == "member.added" for e in replayed), timeout=15)
        seqs = [e["seq"] for e in replayed]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        client.reconnection = False
        client.disconnect()
        _stop(first)
        if second is not None:
            _stop(second)


def test_the_async_mode_must_match_how_the_process_started(settings):
    """gevent in a process nobody patched would block on every database call:
    refused at start with one line, like any bad setting."""
    from workspace import cooperative
    from workspace.app import create_app
    from workspace.config import ConfigError

    assert cooperative.mode() == "threading"  # the test process is not patched
    with pytest.raises(ConfigError, match="not patched for gevent"):
        create_app(settings, async_mode="gevent")
    with pytest.raises(ConfigError, match="gevent or threading"):
        cooperative.check("eventlet")
    # Off gevent, offloading is a plain call.
    assert cooperative.offload(sum, [1, 2]) == 3


NODELAY_PROBE = """
from workspace import cooperative
cooperative.patch()
import socket, requests
from workspace import server
seen = []
class Probe(server.Handler):
    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
s = server.pywsgi.WSGIServer(("127.0.0.1", 0), app, handler_class=Probe, log=None)
s.start()
assert requests.get(f"http://127.0.0.1:{s.server_port}/", timeout=10).text == "ok"
print("NODELAY", seen)
"""


def test_accepted_sockets_send_small_frames_at_once():
    """TCP_NODELAY on every accepted socket (gevent's server leaves Nagle on)."""
    from tests.foundation.test_processes import ROOT

    done = subprocess.run(
        [sys.executable, "-c", NODELAY_PROBE], cwd=ROOT, timeout=60, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "NODELAY [1]" in done.stdout
