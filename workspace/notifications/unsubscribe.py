"""Signed one-click unsubscribe links (RFC 8058): the token names the person
and what to switch off, so the link works without logging in."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "jointlab.unsubscribe"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, user_id: int, key: str) -> str:
    return _serializer(secret_key).dumps({"u": user_id, "k": key})


def read_token(secret_key: str, token: str) -> tuple[int, str] | None:
    try:
        data: Any = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or not isinstance(data.get("k"), str)
    ):
        return None
    return data["u"], data["k"]


def unsubscribe_url(public_url: str, secret_key: str, user_id: int, key: str) -> str:
    return f"{public_url}/unsubscribe/{make_token(secret_key, user_id, key)}"
