"""Who is behind each Socket.IO connection of this process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import request

from workspace.auth.models import User
from workspace.db import db
from workspace.errors import Unauthorized


@dataclass
class Client:
    sid: str
    user_id: int
    name: str
    documents: set[int] = field(default_factory=set)


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


def reset_state() -> None:
    with _lock:
        _clients.clear()


def current() -> Client:
    client = _clients.get(request.sid)  # type: ignore[attr-defined]
    if client is None:
        raise Unauthorized("Not connected.")
    return client


def current_user() -> User:
    """The connection's user, re-read so that role changes apply at once."""
    client = current()
    with db.reading() as s:
        user = s.get(User, client.user_id)
    if user is None or not user.active:
        raise Unauthorized("This account no longer exists.")
    return user
