"""Signatures: Standard Webhooks for `standard`, the platforms' own for bots.

Standard Webhooks signs `{webhook-id}.{webhook-timestamp}.{body}` with
HMAC-SHA256 under the base64 key after `whsec_`; we let the reference
`standardwebhooks` package compute it so we cannot drift from receivers that
verify with it. During a secret rotation both signatures are sent,
space-separated, as the specification allows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from urllib.parse import quote_plus

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def standard_headers(
    message_id: str, body: str, secrets_: list[str], at: datetime | None = None
) -> dict[str, str]:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    signatures = [Webhook(s).sign(message_id, at, body) for s in secrets_ if s]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def dingtalk_query(secret: str, timestamp_ms: int) -> str:
    """`&timestamp=…&sign=…`: HMAC-SHA256 keyed by the secret over
    "timestamp\\nsecret", base64, URL-encoded (DingTalk custom robot)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return f"timestamp={timestamp_ms}&sign={quote_plus(base64.b64encode(digest).decode())}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu custom bot: "timestamp\\nsecret" is the HMAC key, the message is
    empty; base64 of the digest goes in the body's `sign`."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
