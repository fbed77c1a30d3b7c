"""The documents open in this process: one pycrdt Doc each, shared by the
connections of this process that joined it, dropped when the last one leaves.

It is a cache, never the truth: every join merges the stored state into it
(another process may have accepted edits meanwhile), and when a change to it
cannot be committed it is rebuilt from the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pycrdt import Doc

from workspace.documents import crdt


@dataclass
class LiveDoc:
    document_id: int
    doc: Doc
    lock: threading.RLock = field(default_factory=threading.RLock)
    sids: set[str] = field(default_factory=set)


class Registry:
    def __init__(self) -> None:
        self._docs: dict[int, LiveDoc] = {}
        self._lock = threading.Lock()

    def get(self, document_id: int) -> LiveDoc | None:
        return self._docs.get(document_id)

    def open(self, document_id: int, sid: str) -> LiveDoc:
        with self._lock:
            live = self._docs.get(document_id)
            if live is None:
                live = self._docs[document_id] = LiveDoc(document_id, crdt.new_doc())
            live.sids.add(sid)
            return live

    def close(self, document_id: int, sid: str) -> None:
        with self._lock:
            live = self._docs.get(document_id)
            if live is None:
                return
            live.sids.discard(sid)
            if not live.sids:
                del self._docs[document_id]

    def sids(self, document_id: int) -> set[str]:
        live = self._docs.get(document_id)
        return set(live.sids) if live else set()

    def open_count(self) -> int:
        return len(self._docs)

    def reset(self) -> None:
        """Forget everything, as a restarted process would."""
        with self._lock:
            self._docs.clear()


registry = Registry()
