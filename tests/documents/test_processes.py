"""Scaled out: editors on two web processes see each other's edits (through
the Socket.IO message queue), and a join on either process is complete right
after the other one accepted edits."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import USE_PG, USE_REDIS, free_port, wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.foundation.test_processes import _serve


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
