"""Webhook secrets, encrypted at rest.

Every delivery is signed with its endpoint's secret, so JointLab has to read
the secret back; passwords and API tokens, which it only checks, are kept as
hashes instead. Secrets are kept encrypted (Fernet) with a key derived from
SECRET_KEY, so a copy of the database alone (a backup, a replica, a leaked
dump) is not enough to forge deliveries. Changing SECRET_KEY makes the stored
secrets unreadable: rotate each webhook's secret afterwards (README).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

PREFIX = "enc1:"
log = logging.getLogger(__name__)
_fernet: Fernet | None = None


def use_key(secret_key: str) -> None:
    """Derive the encryption key from SECRET_KEY (at start-up)."""
    global _fernet
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"jointlab webhook secrets"
    ).derive(secret_key.encode())
    _fernet = Fernet(base64.urlsafe_b64encode(key))


def _box() -> Fernet:
    if _fernet is None:
        raise RuntimeError("webhook secrets: use_key(SECRET_KEY) has not been called")
    return _fernet


def seal(plain: str) -> str:
    return PREFIX + _box().encrypt(plain.encode()).decode("ascii")


def unseal(stored: str) -> str | None:
    """The secret, or None when SECRET_KEY changed since it was sealed (the
    delivery then goes out unsigned and the receiver refuses it; nothing is
    lost: redeliver after rotating the secret)."""
    if not stored.startswith(PREFIX):
        return stored  # written before secrets were encrypted; stored_secrets seals it
    try:
        return _box().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken:
        log.error(
            "A webhook secret cannot be decrypted: SECRET_KEY has changed since it was "
            "stored. Rotate the webhook's secret, or add a chat bot again."
        )
        return None


def opens(stored: str) -> bool:
    """Was this sealed value sealed under the current SECRET_KEY?"""
    try:
        _box().decrypt(stored[len(PREFIX) :].encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


class SealedText(TypeDecorator[str]):
    """A text column whose values are sealed on the way in and unsealed on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else unseal(value)
