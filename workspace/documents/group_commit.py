"""Group commit: one writer at a time per key, many updates per commit.

A co-editing update is acknowledged only after it is committed, and a commit
costs round trips and (on PostgreSQL) a WAL flush whatever it holds; one
transaction per keystroke made every update pay that alone. So the handlers
of a key's updates (documents/sync.py uses one key for the whole process:
one writer per process, for every document) take turns differently: the
first to arrive becomes the leader; it opens one transaction and takes every
update that has queued meanwhile, including those that arrive while it is
still working (`take`), commits them together and wakes each waiting handler
with its own outcome. Updates that arrive during that commit wait for the
next batch, whose leader is the first of them: no handler leads more than the
batch that holds its own update, so none is held back by a stream of others.

There is no fixed wait: a lone update is committed at once. The leader only
yields once before it starts, so that handlers already running beside it (a
burst read from many sockets) queue first.

The primitives are `threading`'s (Lock, Event), which gevent patches: the same
code runs greenlets under gevent and threads in operator commands and the
tests' in-process servers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

P = TypeVar("P")
MAX_BATCH = 200  # updates in one transaction: keeps it (and its row lock) short


class Pending(Generic[P]):
    """One submitted update waiting for its outcome."""

    __slots__ = ("payload", "error", "done", "_woken", "_lead")

    def __init__(self, payload: P) -> None:
        self.payload = payload
        self.error: BaseException | None = None
        self.done = False
        self._woken = threading.Event()
        self._lead = False

    def resolve(self) -> None:
        """It is committed: its handler may acknowledge it."""
        self.done = True
        self._woken.set()

    def fail(self, error: BaseException) -> None:
        """It was refused or its commit failed: nothing of it is stored."""
        self.error = error
        self.done = True
        self._woken.set()


class Take(Generic[P]):
    """What a leader draws its batch from: `take()` hands out the next queued
    update (None: nothing more for this batch)."""

    def __init__(self, owner: GroupCommit[P], queue: deque[Pending[P]]) -> None:
        self._owner = owner
        self._queue = queue
        self.taken: list[Pending[P]] = []

    def __call__(self) -> Pending[P] | None:
        if len(self.taken) >= self._owner.max_batch:
            return None
        with self._owner._lock:
            if not self._queue:
                return None
            item = self._queue.popleft()
        self.taken.append(item)
        return item

    def peek(self) -> Pending[P] | None:
        """What `take()` would hand out next (only the leader takes, so it
        stays next): a commit may prepare for it, e.g. lock what it needs,
        while it still counts as queued."""
        if len(self.taken) >= self._owner.max_batch:
            return None
        with self._owner._lock:
            return self._queue[0] if self._queue else None


# commit(key, take): take() the next queued update (None: nothing more for
# this batch), store them in one transaction, resolve or fail each one taken.
# It may return work to run after the next leader has been let go (relays).
Commit = Callable[[Any, Take[Any]], "Callable[[], None] | None"]


class GroupCommit(Generic[P]):
    def __init__(self, commit: Commit, max_batch: int = MAX_BATCH) -> None:
        self._commit = commit
        self.max_batch = max_batch
        self._lock = threading.Lock()
        # A key is present exactly while a leader works on it.
        self._queues: dict[Hashable, deque[Pending[P]]] = {}

    def submit(self, key: Hashable, payload: P) -> None:
        """Return once `payload` is committed; raise its own error if it was not."""
        item: Pending[P] = Pending(payload)
        with self._lock:
            queue = self._queues.get(key)
            lead = queue is None
            if queue is None:
                queue = self._queues[key] = deque()
            queue.append(item)
        if not lead:
            item._woken.wait()
            if not item._lead:
                return _outcome(item)
        self._lead(key, queue)
        return _outcome(item)

    def queued(self, key: Hashable, where: Callable[[P], bool] | None = None) -> int:
        """Updates of `key` (whose payload passes `where`) waiting to be taken
        into a batch."""
        with self._lock:
            queue = list(self._queues.get(key) or ())
        return sum(1 for item in queue if where is None or where(item.payload))

    def _lead(self, key: Hashable, queue: deque[Pending[P]]) -> None:
        take: Take[P] = Take(self, queue)
        time.sleep(0)  # a yield, not a wait: see the module's docstring
        after = None
        failure: BaseException = RuntimeError("the batch holding this update was abandoned")
        try:
            after = self._commit(key, take)
        except Exception as err:
            failure = err
        finally:
            for item in take.taken:
                if not item.done:
                    item.fail(failure)
            self._hand_over(key, queue)
        if after is not None:
            try:
                after()
            except Exception:  # what was committed stays committed and acknowledged
                log.exception("after committing updates of %s", key)

    def _hand_over(self, key: Hashable, queue: deque[Pending[P]]) -> None:
        with self._lock:
            if queue:
                following = queue[0]
                following._lead = True
                following._woken.set()
            else:
                del self._queues[key]


def _outcome(item: Pending[Any]) -> None:
    if item.error is not None:
        raise item.error
