"""Room relays as `python wsgi.py` serves them (gevent, gevent-websocket),
where they are encoded once and the same WebSocket bytes are written to each
recipient (realtime/broadcast.py): every client kind gets every update
intact and in order, a sender never gets its own, a client that stops reading
for a while gets everything afterwards, and acks and heartbeats keep flowing
while relays are written."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from typing import Any

import pytest
from engineio import packet as eio_packet

from tests.conftest import USE_PG, USE_REDIS, free_port, wait_for
from tests.documents.test_documents_api import statement_of
from tests.documents.test_node_peer import HERE as NODE_DIR
from tests.documents.test_node_peer import node_or_skip
from tests.foundation.live_access import Conn, awareness_update
from tests.foundation.test_processes import _serve
from tests.foundation.test_serving_model import _stop
from workspace.documents import crdt

# Timing-sensitive (acks within 5 s, pings on time): `tests/run` runs this module
# alone, after the parallel part.
pytestmark = pytest.mark.serial

BIG = 80_000  # characters, 160 KB: a burst of these overflows a stalled reader's socket


def _chain(name: str, sizes: list[int]) -> list[bytes]:
    """Updates of one editor, each depending on the one before. A big
    insertion is taken out again by the next update, so the document stays
    far below its size limit while megabytes go over the wire."""
    doc = crdt.new_doc()
    out = []
    for i, size in enumerate(sizes):
        line = f"{name}{i:03d} " + "§" * size + "\n"
        out.append(crdt.capture(doc, lambda d, line=line: crdt.text_of(d).insert(0, line)))
        if size >= BIG:
            out.append(crdt.capture(doc, _clear))
    return out


def _clear(doc: Any) -> None:
    text = crdt.text_of(doc)
    del text[0 : len(text)]


def _pings(conn: Conn) -> list[float]:
    """Times at which the server's heartbeat reached this client."""
    seen: list[float] = []
    receive = conn.client.eio._receive_packet

    def noting(pkt: Any) -> Any:
        if pkt.packet_type == eio_packet.PING:
            seen.append(time.monotonic())
        return receive(pkt)

    conn.client.eio._receive_packet = noting
    return seen


def _received(conn: Conn, document_id: int) -> list[bytes]:
    return [bytes(u["update"]) for u in conn.updates if u["document_id"] == document_id]


def _in_order(got: list[bytes], *chains: list[bytes]) -> None:
    assert sorted(got) == sorted(u for chain in chains for u in chain)
    for chain in chains:
        members = set(chain)
        assert [u for u in got if u in members] == chain


def test_relays_reach_every_kind_of_client_whole_and_in_order_with_acks_and_pings(
    settings, make, api
):
    node = node_or_skip()
    ws = make.workspace()
    doc_id = statement_of(api, ws)["id"]
    proc, url = _serve(settings, free_port())
    conns: list[Conn] = []
    listeners: list[subprocess.Popen] = []
    try:
        # A burst of big updates from A while one reader has stopped reading
        # (its receive buffer is tiny): the server's writes to it fill the
        # socket and the rest waits, in order, behind what is in the kernel.
        burst = _chain("A", [BIG] * 40)
        paced_a = _chain("a", [20] * 12)
        paced_b = _chain("B", [20] * 12)
        a_updates = burst + paced_a
        expected = len(a_updates) + len(paced_b)

        writer_a = Conn(url, token=make.token(ws.owner))
        writer_b = Conn(url, token=make.token(ws.partner))
        readers = [Conn(url, token=make.token(ws.partner, ("read",))) for _ in range(2)]
        polling = Conn(url, token=make.token(ws.owner), transports=("polling",))
        # Starts on long-polling and upgrades to a WebSocket, as browsers do.
        upgrading = Conn(url, token=make.token(ws.owner), transports=("polling", "websocket"))
        stalled_first = threading.Event()
        slow = Conn(
            url,
            token=make.token(ws.owner),
            websocket_extra_options={"sockopt": ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)},
        )

        def stall(payload: dict) -> None:
            # Runs on the client's read thread: nothing is read meanwhile.
            if not stalled_first.is_set():
                stalled_first.set()
                time.sleep(3)

        slow.client.handlers["/"]["doc:update"] = lambda p: (stall(p), slow.updates.append(p))
        conns += [writer_a, writer_b, *readers, polling, upgrading, slow]
        pings = {id(c): _pings(c) for c in conns}
        for conn in conns:
            assert conn.call("doc:join", {"document_id": doc_id})["ok"]
        assert polling.client.eio.current_transport == "polling"
        wait_for(lambda: upgrading.client.eio.current_transport == "websocket")
        for _ in range(2):
            listener = subprocess.Popen(
                [
                    node,
                    str(NODE_DIR / "listener.mjs"),
                    url,
                    make.token(ws.owner),
                    str(doc_id),
                    str(expected),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            listeners.append(listener)
            assert json.loads(listener.stdout.readline()) == {"joined": True}, (
                listener.stderr.read()
            )

        for update in burst:
            assert writer_a.call("doc:update", {"document_id": doc_id, "update": update})["ok"]

        # Then both editors at an editor's pace, for longer than the ping
        # interval (20 s), while a reader keeps asking for acknowledgements.
        acks: list[float] = []
        stop = threading.Event()

        def ask() -> None:
            clock = 0
            while not stop.is_set():
                clock += 1
                started = time.monotonic()
                answer = readers[0].call(
                    "doc:awareness", {"document_id": doc_id, "update": awareness_update(99, clock)}
                )
                assert answer["ok"], answer
                acks.append(time.monotonic() - started)
                time.sleep(0.3)

        def edit(writer: Conn, chain: list[bytes], offset: float = 0.0) -> None:
            # B types half a beat after A: updates that arrive together are
            # committed together and relayed merged (group commit, tested in
            # test_group_commit.py); here each relay is one editor's update,
            # so that every client can be checked byte for byte.
            time.sleep(offset)
            for update in chain:
                assert writer.call("doc:update", {"document_id": doc_id, "update": update})["ok"]
                time.sleep(1.8)

        started = time.monotonic()
        threads = [
            threading.Thread(target=ask),
            threading.Thread(target=edit, args=(writer_a, paced_a)),
            threading.Thread(target=edit, args=(writer_b, paced_b, 0.9)),
        ]
        for t in threads:
            t.start()
        for t in threads[1:]:
            t.join()
        stop.set()
        threads[0].join()
        assert time.monotonic() - started > 21

        assert stalled_first.is_set()
        for reader in [*readers, polling, upgrading, slow]:
            wait_for(lambda r=reader: len(_received(r, doc_id)) == expected, timeout=30)
            _in_order(_received(reader, doc_id), a_updates, paced_b)
        # A sender gets everyone's updates but never its own.
        wait_for(lambda: len(_received(writer_b, doc_id)) == len(a_updates), timeout=30)
        assert _received(writer_b, doc_id) == a_updates
        wait_for(lambda: len(_received(writer_a, doc_id)) == len(paced_b), timeout=30)
        assert _received(writer_a, doc_id) == paced_b
        # socket.io-client decodes the same bytes (attachments included).
        for listener in listeners:
            out, err = listener.communicate(timeout=60)
            assert listener.returncode == 0, err
            got = json.loads(out.strip().splitlines()[-1])
            _in_order([bytes.fromhex(h) for h in got["updates"]], a_updates, paced_b)
            assert got["pings"] >= 1
        # Acks answered promptly all along; every client heard the heartbeat
        # and none was dropped.
        assert len(acks) >= 20 and max(acks) < 5, acks
        for conn in conns:
            assert pings[id(conn)], "no ping reached a client"
            assert conn.client.connected and not conn.dropped.is_set()
    finally:
        for listener in listeners:
            if listener.poll() is None:
                listener.kill()
                listener.communicate()
        for conn in conns:
            conn.close()
        out = _stop(proc)
    assert "Traceback" not in out, out


@pytest.mark.skipif(not (USE_PG and USE_REDIS), reason="several processes need PostgreSQL + Redis")
def test_relays_through_redis_reach_the_other_process_room_whole_and_in_order(settings, make, api):
    """The receiving side of the message queue writes its local room the
    same way: readers on process B get what an editor on A sends."""
    node = node_or_skip()
    ws = make.workspace()
    doc_id = statement_of(api, ws)["id"]
    procs = []
    conns: list[Conn] = []
    listener = None
    try:
        (a, url_a), (b, url_b) = _serve(settings, free_port()), _serve(settings, free_port())
        procs = [a, b]
        updates = _chain("R", [BIG, 30, 30, BIG] + [30] * 10)
        writer = Conn(url_a, token=make.token(ws.owner))
        near = Conn(url_a, token=make.token(ws.partner, ("read",)))
        far = [
            Conn(url_b, token=make.token(ws.partner, ("read",))),
            Conn(url_b, token=make.token(ws.owner), transports=("polling",)),
        ]
        conns += [writer, near, *far]
        for conn in conns:
            assert conn.call("doc:join", {"document_id": doc_id})["ok"]
        listener = subprocess.Popen(
            [
                node,
                str(NODE_DIR / "listener.mjs"),
                url_b,
                make.token(ws.owner),
                str(doc_id),
                str(len(updates)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert json.loads(listener.stdout.readline()) == {"joined": True}, listener.stderr.read()
        for update in updates:
            assert writer.call("doc:update", {"document_id": doc_id, "update": update})["ok"]
        for reader in [near, *far]:
            wait_for(lambda r=reader: len(_received(r, doc_id)) == len(updates), timeout=30)
            assert _received(reader, doc_id) == updates
        out, err = listener.communicate(timeout=60)
        assert listener.returncode == 0, err
        got = json.loads(out.strip().splitlines()[-1])["updates"]
        assert [bytes.fromhex(h) for h in got] == updates
        assert _received(writer, doc_id) == []
    finally:
        if listener is not None and listener.poll() is None:
            listener.kill()
            listener.communicate()
        for conn in conns:
            conn.close()
        outs = [_stop(p) for p in procs]
    for out in outs:
        assert "Traceback" not in out, out
