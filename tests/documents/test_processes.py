"""Scaled out: editors on two web processes see each other's edits (through
the Socket.IO message queue), and a join on either process is complete right
after the other one accepted edits."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from tests.conftest import USE_PG, USE_REDIS, free_port, wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.documents.test_sync import stored_text
from tests.foundation.test_processes import _serve
from workspace.documents import store

# Timing-sensitive (two processes converge within 20 s): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial


@pytest.mark.skipif(not (USE_PG and USE_REDIS), reason="several processes need PostgreSQL + Redis")
def test_editors_on_two_processes_converge_and_joins_are_complete(app, settings, make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    procs = []
    peers: list[Peer] = []
    try:
        (a, url_a), (b, url_b) = _serve(settings, free_port()), _serve(settings, free_port())
        procs = [a, b]
        on_a = Peer(make.token(ws.owner), doc["id"], "on_a")
        on_b = Peer(make.token(ws.partner), doc["id"], "on_b")
        peers = [on_a, on_b]
        on_a.connect(url_a)
        on_b.connect(url_b)
        on_a.insert(0, "甲进程 A 😀\n")
        wait_for(lambda: on_b.text().startswith("甲进程 A 😀\n"))
        on_b.insert(len(on_b.text()), "\n乙进程 B 🧪")
        on_b.wait_acked()
        wait_for(lambda: on_a.text() == on_b.text())
        # Process A holds this document open in memory, yet never applied B's
        # edit itself: a new join there must still include it.
        late = Peer(make.token(ws.owner), doc["id"], "late_on_a")
        peers.append(late)
        late.connect(url_a)
        assert late.text() == on_b.text()
        assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == late.text()
    finally:
        for peer in peers:
            peer.disconnect()
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.skipif(not (USE_PG and USE_REDIS), reason="several processes need PostgreSQL + Redis")
def test_compaction_beside_editors_on_two_processes_loses_nothing(app, settings, make, api):
    """Editors on two web processes type while a third process compacts the
    document over and over: every line typed is there exactly once, in the
    database, on both processes and for a newcomer."""
    ws = make.workspace()
    doc = statement_of(api, ws)
    procs, peers = [], []
    stop = threading.Event()
    compactions = []

    def compact_all_along() -> None:
        while not stop.is_set():
            compactions.append(store.compact(doc["id"]))
            time.sleep(0.02)

    try:
        (a, url_a), (b, url_b) = _serve(settings, free_port()), _serve(settings, free_port())
        procs = [a, b]
        on_a = Peer(make.token(ws.owner), doc["id"], "on_a")
        on_b = Peer(make.token(ws.partner), doc["id"], "on_b")
        peers = [on_a, on_b]
        on_a.connect(url_a)
        on_b.connect(url_b)
        compactor = threading.Thread(target=compact_all_along)
        compactor.start()

        def type_lines(peer: Peer, mark: str) -> None:
            for i in range(80):
                text = peer.text()
                # Line starts only, never the very end: lines never split each other.
                starts = [0] + [k + 1 for k, ch in enumerate(text[:-1]) if ch == "\n"]
                peer.insert(starts[i * 7 % len(starts)], f"{mark}{i} 😀\n")
                time.sleep(0.005)

        typists = [
            threading.Thread(target=type_lines, args=(p, m))
            for p, m in ((on_a, "甲"), (on_b, "乙"))
        ]
        for t in typists:
            t.start()
        for t in typists:
            t.join()
        on_a.wait_acked()
        on_b.wait_acked()
        stop.set()
        compactor.join()
        assert on_a.errors == [] and on_b.errors == []
        assert sum(compactions) > 0
        final = stored_text(doc["id"])
        for mark in ("甲", "乙"):
            assert all(final.count(f"{mark}{i} 😀\n") == 1 for i in range(80))
        assert final.endswith(doc["text"][-40:])
        # Each editor, after asking its process for what it lacks (python-socketio
        # clients may drop a relayed binary event under load: they decode each
        # frame in a thread of its own), and a newcomer on each process, hold
        # exactly that text.
        for peer in (on_a, on_b):
            peer.join()
            wait_for(lambda p=peer: p.text() == final, timeout=20)
        for url in (url_a, url_b):
            late = Peer(make.token(ws.owner), doc["id"], "late")
            peers.append(late)
            late.connect(url)
            assert late.text() == final
    finally:
        stop.set()
        for peer in peers:
            peer.disconnect()
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
