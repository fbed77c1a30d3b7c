"""Who is in which document's room, and the awareness (cursors) each
connection put there: left when a client leaves, drops, or loses its rights
(realtime/documents.py, realtime/guard.py)."""

from __future__ import annotations

import threading

from realtime import clients, socketio
from workspace.documents import crdt, sync


def room_of(document_id: int) -> str:
    return f"doc:{document_id}"


# (sid, document id) -> awareness clientID -> last clock, to clear the cursors
# of a connection the moment it leaves or drops.
_awareness: dict[tuple[str, int], dict[int, int]] = {}
_awareness_lock = threading.Lock()


def remember_awareness(sid: str, document_id: int, seen: dict[int, int]) -> None:
    with _awareness_lock:
        known = _awareness.setdefault((sid, document_id), {})
        for client_id, clock in seen.items():
            known[client_id] = max(clock, known.get(client_id, 0))


def leave_document(client: clients.Client, document_id: int) -> None:
    """Take a local connection out of a document (its rights to it ended);
    callable from any thread."""
    socketio.server.leave_room(client.sid, room_of(document_id), namespace="/")
    forget(client.sid, document_id)
    client.documents.pop(document_id, None)


def forget(sid: str, document_id: int) -> None:
    with _awareness_lock:
        gone = _awareness.pop((sid, document_id), None)
    if gone:
        socketio.emit(
            "doc:awareness",
            {"document_id": document_id, "update": crdt.awareness_removal(gone)},
            to=room_of(document_id),
            skip_sid=sid,
        )
    sync.leave(document_id, sid)


def on_disconnect(client: clients.Client) -> None:
    for document_id in list(client.documents):
        forget(client.sid, document_id)
