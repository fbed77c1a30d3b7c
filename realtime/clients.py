"""Who is behind each Socket.IO connection of this process, and with what
credential it connected (re-checked at every call, see realtime/guard.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import request

from workspace.auth.credentials import Credential
from workspace.errors import Unauthorized


@dataclass
class Client:
    sid: str
    user_id: int
    name: str
    credential: Credential
    # Joined documents -> whether this connection was told it may edit.
    documents: dict[int, bool] = field(default_factory=dict)
    # Held while a join enters a room and while a re-check takes rooms away,
    # so a join racing a revocation cannot leave the client in the room.
    lock: threading.RLock = field(default_factory=threading.RLock)
    ended: str | None = None  # why its credential no longer stands, once known


_clients: dict[str, Client] = {}
_lock = threading.Lock()


def add(client: Client) -> None:
    with _lock:
        _clients[client.sid] = client


def remove(sid: str) -> Client | None:
    with _lock:
        return _clients.pop(sid, None)


def get(sid: str) -> Client | None:
    return _clients.get(sid)


def count() -> int:
    return len(_clients)


def of_user(user_id: int) -> list[Client]:
    with _lock:
        return [c for c in _clients.values() if c.user_id == user_id]


def every() -> list[Client]:
    with _lock:
        return list(_clients.values())


def reset_state() -> None:
    with _lock:
        _clients.clear()


def current() -> Client:
    client = _clients.get(request.sid)  # type: ignore[attr-defined]
    if client is None:
        raise Unauthorized("Not connected.")
    return client
