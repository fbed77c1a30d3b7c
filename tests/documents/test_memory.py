"""A web process does not grow with every join: 35 joins of a document with
12 MB of stored history took a process from 431 to 887 MiB, each reading the
whole history again in its connection's thread."""

from __future__ import annotations

import subprocess
import time

from tests.conftest import free_port
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.foundation.test_processes import _serve
from workspace.db import db
from workspace.documents import crdt, store
from workspace.documents.models import DocumentUpdate

JOINS = 35
MiB = 1024 * 1024


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_joins_of_a_document_with_a_long_history_do_not_grow_the_process(app, settings, make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    # Twelve pastes of 1 MB, each deleted again: valid updates, the text as it was.
    scratch = crdt.new_doc(store.read_doc(doc["id"]).get_update())
    with db.transaction() as s:
        for i in range(12):
            for change in (
                lambda d, i=i: crdt.text_of(d).insert(0, "0123456789AB"[i] * MiB),
                lambda d: crdt.text_of(d).__delitem__(slice(0, MiB)),
            ):
                s.add(
                    DocumentUpdate(
                        document_id=doc["id"],
                        data=crdt.capture(scratch, change),
                        user_id=ws.owner.id,
                    )
                )
    token = make.token(ws.owner)
    proc, url = _serve(settings, free_port())
    try:

        def join_and_leave() -> None:
            peer = Peer(token, doc["id"], "joiner")
            assert peer.connect(url)["ok"]
            assert peer.text() == doc["text"]
            peer.disconnect()

        join_and_leave()
        time.sleep(1)  # a compaction the first join asked for may run now
        before = rss_mib(proc.pid)
        for _ in range(JOINS):
            join_and_leave()
        grown = rss_mib(proc.pid) - before
        assert grown < 16, f"{JOINS} joins grew the process by {grown:.0f} MiB"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
