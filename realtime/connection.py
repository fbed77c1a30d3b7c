"""Connect and disconnect: refused without a session cookie or a valid token.

A connection keeps the credential it was opened with (the session row or
the token row, its scopes, the password it was opened under) so that every
later call can ask whether it still stands (realtime/guard.py).
"""

from __future__ import annotations

from typing import Any

from flask import request

from realtime import clients, on
from realtime.feed import pump
from workspace.auth.credentials import Credential
from workspace.auth.current import cookie_credential, cookie_session
from workspace.auth.models import User
from workspace.auth.tokens import token_allows, token_row
from workspace.db import db
from workspace.house import current


def _handshake(auth: Any) -> tuple[User, Credential] | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
    with db.lookup() as s:  # one statement either way: token or cookie, with its user
        if isinstance(token, str) and token:
            row = token_row(s, token)
            if row is None or not token_allows(set(row.scopes), "read"):
                return None
            return row.user, Credential("token", row.id, row.user_id, frozenset(row.scopes))
        found = cookie_session(s)
    if found is None:
        return None
    return found[1], cookie_credential(*found)


@on("connect")
def on_connect(auth: Any = None) -> None:
    found = _handshake(auth)
    if found is None:
        raise ConnectionRefusedError(
            {"code": "unauthorized", "message": "Log in or pass auth: {token}."}
        )
    user, credential = found
    clients.add(
        clients.Client(
            sid=request.sid,
            user_id=user.id,
            name=user.name,  # type: ignore[attr-defined]
            credential=credential,
        )
    )


@on("disconnect")
def on_disconnect(*_args: Any) -> None:
    sid = request.sid  # type: ignore[attr-defined]
    pump.unsubscribe_all(sid)
    client = clients.remove(sid)
    if client is not None:
        # Other capabilities (document presence) clean up: `house.on_disconnect`.
        for hook in current().disconnect:
            hook(client)


def reset_state() -> None:
    """A new app starts with no connections (see realtime/install.py): a stale
    one would be re-checked, and told, whenever its user id's rights change."""
    clients.reset_state()
