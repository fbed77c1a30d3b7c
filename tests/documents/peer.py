"""A Yjs peer in Python: a pycrdt document synced over a real python-socketio
client with the SPEC's doc:* events, able to keep editing while offline."""

from __future__ import annotations

import threading
from typing import Any

import socketio

from workspace.documents import crdt


class Peer:
    def __init__(self, token: str, document_id: int, name: str = "peer") -> None:
        self.token, self.document_id, self.name = token, document_id, name
        self.doc = crdt.new_doc()
        self.lock = threading.RLock()
        self.client: socketio.Client | None = None
        self.unsent: list[bytes] = []
        self.pending_acks = 0
        self.errors: list[Any] = []
        self.awareness: list[bytes] = []
        # Relays can come out of order (two updates of one client handled by
        # two server threads); pycrdt applies them one by one correctly only in
        # causal order, so remote updates go through crdt.integrate.
        self.waiting: crdt.Waiting = []
        self._acked = threading.Condition()

    # ------------------------------------------------------------ connection
    @property
    def online(self) -> bool:
        return self.client is not None and self.client.connected

    def connect(self, url: str) -> dict[str, Any]:
        client = socketio.Client(reconnection=False)
        client.on("doc:update", self._on_remote)
        client.on("doc:awareness", lambda msg: self.awareness.append(msg["update"]))
        client.connect(url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        self.client = client
        return self.join()

    def join(self) -> dict[str, Any]:
        assert self.client is not None
        with self.lock:
            vector = self.doc.get_state()
        ack = self.client.call(
            "doc:join", {"document_id": self.document_id, "state_vector": vector}, timeout=20
        )
        if not ack.get("ok"):
            return ack
        with self.lock:
            self._apply(ack["update"])
            # Whatever the server lacks: offline edits, unacknowledged ones.
            missing = self.doc.get_update(ack["state_vector"])
            self.unsent.clear()
        if not crdt.is_empty(missing):
            self._send(missing)
        return ack

    def disconnect(self) -> None:
        if self.client is not None:
            # The client's close handshake waits up to 3 s for the server's
            # close frame; the disconnect packet itself goes out at once.
            threading.Thread(target=self.client.disconnect, daemon=True).start()
        self.client = None
        with self._acked:
            # Unanswered updates are re-sent by the next join, from the
            # server's state vector, whatever became of them.
            self.pending_acks = 0
            self._acked.notify_all()

    def _on_remote(self, msg: dict[str, Any]) -> None:
        if msg.get("document_id") == self.document_id:
            with self.lock:
                self._apply(msg["update"])

    def _apply(self, update: bytes) -> None:
        self.waiting, _ = crdt.integrate(
            self.doc, [(update, crdt.requirements_of(update))], self.waiting
        )

    # ------------------------------------------------------------ editing
    def text(self) -> str:
        with self.lock:
            return crdt.text_str(self.doc)

    def insert(self, cp_index: int, value: str) -> None:
        def change(doc: Any) -> None:
            current = crdt.text_str(doc)
            index = min(cp_index, len(current))
            crdt.text_of(doc).insert(crdt.cp_to_utf8(current, index), value)

        self._local(change)

    def delete(self, cp_index: int, length: int) -> None:
        def change(doc: Any) -> None:
            current = crdt.text_str(doc)
            start = min(cp_index, len(current))
            end = min(start + length, len(current))
            if end > start:
                a, b = crdt.cp_to_utf8(current, start), crdt.cp_to_utf8(current, end)
                del crdt.text_of(doc)[a:b]

        self._local(change)

    def _local(self, change: Any) -> None:
        with self.lock:
            update = crdt.capture(self.doc, change)
        if crdt.is_empty(update):
            return
        if self.online:
            self._send(update)
        else:
            self.unsent.append(update)

    def send_raw(self, update: bytes, timeout: float = 20) -> dict[str, Any]:
        assert self.client is not None
        return self.client.call(
            "doc:update", {"document_id": self.document_id, "update": update}, timeout=timeout
        )

    def _send(self, update: bytes) -> None:
        assert self.client is not None
        with self._acked:
            self.pending_acks += 1

        def on_ack(ack: Any) -> None:
            if not (isinstance(ack, dict) and ack.get("ok")):
                self.errors.append(ack)
            with self._acked:
                self.pending_acks -= 1
                self._acked.notify_all()

        self.client.emit(
            "doc:update", {"document_id": self.document_id, "update": update}, callback=on_ack
        )

    def wait_acked(self, timeout: float = 20) -> None:
        with self._acked:
            if not self._acked.wait_for(lambda: self.pending_acks == 0, timeout=timeout):
                raise AssertionError(f"{self.name}: {self.pending_acks} updates never acked")
