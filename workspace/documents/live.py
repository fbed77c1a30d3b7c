"""The documents open in this process: one pycrdt Doc each, shared by the
connections of this process that joined it, kept a while after the last one
leaves (a reconnect, or the next person, then reads only what is new).

It is a cache, never the truth: every join merges what was stored since it
last looked (another process may have accepted edits meanwhile), and when a
change to it cannot be committed it is rebuilt from the database.

It is bounded: by the number of documents and by the bytes of stored state
they were built from (memory is one to eight times that: Yrs keeps a run of
typed text as one item, but a character typed here and there as an item of
~150 bytes). Past either bound the least recently used documents are
dropped, those nobody has open first; one that is still being edited is
rebuilt by its next join, and its updates are checked against the stored
state meanwhile. A document nobody has had open for IDLE_SECONDS is dropped.

Each join used to read the whole stored history again, in the thread of its
connection; the allocator kept those freed megabytes per thread, which is how
35 joins grew a process by 450 MiB.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from pycrdt import Doc

from workspace.documents import crdt

DEFAULT_MAX_DOCS = 1000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # DOCUMENT_CACHE_MAX_BYTES
IDLE_SECONDS = 300.0


@dataclass(eq=False)
class LiveDoc:
    document_id: int
    doc: Doc
    lock: threading.RLock = field(default_factory=threading.RLock)
    sids: set[str] = field(default_factory=set)
    # The snapshot generation it was built from (None: not loaded yet) and
    # the update rows it has applied since: a join then reads only new rows.
    mark: int | None = None
    applied: set[int] = field(default_factory=set)
    weight: int = 0  # bytes of stored state it holds
    counted: int = 0  # of which the registry has counted
    idle_since: float | None = None  # when the last connection left
    waiting: crdt.Waiting = field(default_factory=list)  # see crdt.integrate

    def apply(self, update: bytes, requires: dict[int, int] | None) -> None:
        """Apply one update once the document holds what it builds on
        (crdt.integrate; hold `lock`)."""
        self._integrate([(update, requires)])

    def absorb(self, mark: int, states: list[bytes], seqs: Iterable[int], full: bool) -> None:
        """Apply stored state read by store.load_for (hold `lock`); after a
        full load the first of `states` is the snapshot, and the document is
        built again from it (a compaction may have folded rows it lacks)."""
        rows = states[1:] if full else states
        size = sum(map(len, states))
        if full:
            self.doc = crdt.new_doc(states[0] if states else b"")
            self.waiting = []
            self.applied = set(seqs)
            self.weight = size
        else:
            self.applied.update(seqs)
            self.weight += size
        self.mark = mark  # before integrating: giving up on one clears it
        self._integrate([(row, crdt.requirements_of(row)) for row in rows])

    def _integrate(self, updates: list[tuple[bytes, dict[int, int] | None]]) -> None:
        self.waiting, gave_up = crdt.integrate(self.doc, updates, self.waiting)
        if gave_up:  # what it lacks may be stored: the next join loads it all again
            self.mark = None

    def reset(self) -> None:
        """Forget everything: the next absorb must be a full load (hold `lock`)."""
        self.doc = crdt.new_doc()
        self.mark = None
        self.applied = set()
        self.weight = 0
        self.waiting = []


class Registry:
    def __init__(
        self, max_docs: int = DEFAULT_MAX_DOCS, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self._docs: OrderedDict[int, LiveDoc] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.max_docs = max_docs
        self.max_bytes = max_bytes

    def _configure(self) -> None:
        """Take the bounds from the app's settings (each app may have its own)."""
        if has_app_context():
            settings = current_app.extensions["jointlab.settings"]
            self.max_docs = settings.document_cache_max_docs
            self.max_bytes = settings.document_cache_max_bytes

    def get(self, document_id: int) -> LiveDoc | None:
        with self._lock:
            live = self._docs.get(document_id)
            if live is not None:
                self._docs.move_to_end(document_id)
            return live

    def open(self, document_id: int, sid: str) -> LiveDoc:
        self._configure()
        with self._lock:
            live = self._docs.get(document_id)
            if live is None:
                live = self._docs[document_id] = LiveDoc(document_id, crdt.new_doc())
            else:
                self._docs.move_to_end(document_id)
            live.sids.add(sid)
            live.idle_since = None
            self._trim(live)
            return live

    def weigh(self, live: LiveDoc) -> None:
        """Count what `live` holds now, dropping others past the bounds."""
        with self._lock:
            if self._docs.get(live.document_id) is not live:
                return  # dropped meanwhile
            self._bytes += live.weight - live.counted
            live.counted = live.weight
            self._trim(live, sweep=False)

    def close(self, document_id: int, sid: str) -> None:
        with self._lock:
            live = self._docs.get(document_id)
            if live is None:
                return
            live.sids.discard(sid)
            if not live.sids and live.idle_since is None:
                live.idle_since = time.monotonic()
            self._trim(None)

    def _drop(self, document_id: int) -> None:
        live = self._docs.pop(document_id)
        self._bytes -= live.counted
        live.counted = 0

    def _trim(self, keep: LiveDoc | None, sweep: bool = True) -> None:
        """Drop documents idle for too long (on joins and leaves, not on every
        update), then the least recently used past the bounds, idle ones
        first, never `keep` (the one a caller is about to use)."""
        now = time.monotonic()
        for document_id, live in list(self._docs.items()) if sweep else ():
            if live.idle_since is not None and now - live.idle_since >= IDLE_SECONDS:
                self._drop(document_id)
        while len(self._docs) > self.max_docs or self._bytes > self.max_bytes:
            candidates = [d for d, live in self._docs.items() if live is not keep]
            if not candidates:
                return
            idle = [d for d in candidates if self._docs[d].idle_since is not None]
            self._drop((idle or candidates)[0])

    def sids(self, document_id: int) -> set[str]:
        live = self._docs.get(document_id)
        return set(live.sids) if live else set()

    def open_ids(self) -> list[int]:
        """Documents someone in this process has open."""
        with self._lock:
            return [d for d, live in self._docs.items() if live.sids]

    def open_count(self) -> int:
        """Documents someone in this process has open."""
        return sum(1 for live in self._docs.values() if live.sids)

    def cached_count(self) -> int:
        return len(self._docs)

    def held_bytes(self) -> int:
        return self._bytes

    def reset(self) -> None:
        """Forget everything, as a restarted process would."""
        with self._lock:
            self._docs.clear()
            self._bytes = 0


registry = Registry()
