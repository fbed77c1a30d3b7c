"""Connect and disconnect: refused without a session cookie or a valid token."""

from __future__ import annotations

from typing import Any

from flask import request, session

from realtime import clients, on
from workspace.auth.models import User
from workspace.auth.tokens import token_allows, user_for_token
from workspace.db import db


def _user_from_handshake(auth: Any) -> User | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
    with db.reading() as s:
        if isinstance(token, str) and token:
            found = user_for_token(s, token)
            if found is None or not token_allows(found[1], "read"):
                return None
            return found[0]
        user_id = session.get("user_id")
        user = s.get(User, user_id) if user_id is not None else None
        if user is None or not user.active or session.get("auth_v") != user.password_hash[-16:]:
            return None
        return user


@on("connect")
def on_connect(auth: Any = None) -> None:
    user = _user_from_handshake(auth)
    if user is None:
        raise ConnectionRefusedError(
            {"code": "unauthorized", "message": "Log in or pass auth: {token}."}
        )
    clients.add(clients.Client(sid=request.sid, user_id=user.id, name=user.name))  # type: ignore[attr-defined]


@on("disconnect")
def on_disconnect(*_args: Any) -> None:
    from realtime.feed import pump

    sid = request.sid  # type: ignore[attr-defined]
    pump.unsubscribe_all(sid)
    client = clients.remove(sid)
    if client is not None:
        for hook in DISCONNECT_HOOKS:
            hook(client)


# Other realtime modules (document presence) clean up here.
DISCONNECT_HOOKS: list[Any] = []
