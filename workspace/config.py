"""Configuration from the environment, validated once at start.

Every setting SPEC.md names is read here and nowhere else, so a bad value fails
fast with one readable line instead of a traceback deep inside a request.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"
DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)


class ConfigError(ValueError):
    """A setting has a value the product cannot run with."""


SETTINGS_KEY = "jointlab.settings"


def settings_of(app: Flask) -> Settings:
    """The Settings `create_app` built `app` with."""
    return app.extensions[SETTINGS_KEY]


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    smtp_url: str | None
    secret_key: str
    public_url: str
    webhook_allow_private: bool
    webhook_retry_schedule: tuple[int, ...]
    instance_path: Path
    host: str = "127.0.0.1"
    port: int = 5000
    testing: bool = False
    # Socket.IO refuses frames above this; a first sync of a large document must fit.
    max_message_bytes: int = 8 * 1024 * 1024
    # Prefix of every Redis key and channel, so several deployments (or test
    # runs) can share one Redis server.
    redis_namespace: str = "jointlab"
    # Seconds a webhook receiver has to answer (SPEC: 15 s); tests shorten it.
    webhook_timeout: float = 15.0
    # Requests one delivery job has in flight at once (threads; they wait on I/O).
    webhook_concurrency: int = 16
    # Reverse proxies in front of the web processes whose X-Forwarded-* headers
    # are believed (0: none, the headers are ignored).
    trusted_proxies: int = 0
    # Where file bytes live: "" is a folder under instance/ (files/), or
    # `s3://bucket/prefix` with `S3_ENDPOINT_URL` (S3-compatible servers).
    storage_url: str = ""
    s3_endpoint_url: str | None = None
    file_max_bytes: int = 200 * 1024 * 1024
    # Sum of the sizes of a workspace's files; 0 means no quota.
    workspace_file_quota_bytes: int = 0
    # What one document may store (snapshot + updates), in bytes; past it an
    # update is refused even after compaction. DOCUMENT_MAX_STORED_BYTES.
    document_max_stored_bytes: int = 16 * 1024 * 1024
    # Bytes of stored state the documents open in one web process may hold
    # in memory (memory is 1-8x that), and how many. DOCUMENT_CACHE_MAX_BYTES.
    document_cache_max_bytes: int = 64 * 1024 * 1024
    document_cache_max_docs: int = 1000
    # Socket.IO's concurrency, chosen by the entry point, not the environment:
    # `gevent` when it patched the standard library first (`python wsgi.py`,
    # gunicorn with workspace.gunicorn_worker), `threading` otherwise
    # (operator commands, workers, the tests' in-process servers).
    async_mode: str = "threading"

    @property
    def outbox_path(self) -> Path:
        return self.instance_path / "outbox"

    @property
    def storage_path(self) -> Path:
        return self.instance_path / "files"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **overrides: object) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **overrides)  # type: ignore[arg-type]


def _bool(name: str, raw: str | None) -> bool:
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _count(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
        if not 1 <= value <= 256:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name} must be a whole number from 1 to 256, got {raw!r}") from None
    return value


def _proxies(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return 0
    try:
        value = int(raw)
        if not 0 <= value <= 10:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"TRUSTED_PROXIES must be the number of proxies in front, 0 to 10, got {raw!r}"
        ) from None
    return value


def _seconds(name: str, raw: str | None, default: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 300:
        raise ConfigError(f"{name} must be between 0 and 300 seconds, got {raw!r}")
    return value


def _bytes(name: str, raw: str | None, default: int, minimum: int = 0) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
        if value < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name} must be a number of bytes (0 or more), got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} bytes, got {raw!r}")
    return value


def _storage_url(raw: str | None) -> str:
    if raw is None or raw.strip() == "":
        return ""
    parsed = urlparse(raw)
    if parsed.scheme == "s3" and parsed.netloc:
        return raw
    if parsed.scheme == "file" and parsed.path:
        return raw
    raise ConfigError(f"STORAGE_URL must be s3://bucket/prefix or file:///folder, got {raw!r}")


def _url(name: str, raw: str, schemes: set[str]) -> str:
    parsed = urlparse(raw)
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ConfigError(f"{name} must be a URL with scheme {allowed}, got {raw!r}")
    return raw


def parse_retry_schedule(raw: str | None) -> tuple[int, ...]:
    if raw is None or raw.strip() == "":
        return DEFAULT_RETRY_SCHEDULE
    try:
        values = tuple(int(part) for part in raw.split(",") if part.strip() != "")
    except ValueError:
        raise ConfigError(
            f"WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, got {raw!r}"
        ) from None
    if any(v < 0 for v in values):
        raise ConfigError("WEBHOOK_RETRY_SCHEDULE must not contain negative waits")
    return values


def normalise_database_url(url: str) -> str:
    # Operators paste Heroku-style URLs; SQLAlchemy needs an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("INSTANCE_PATH") or DEFAULT_INSTANCE)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'jointlab.db'}"
    database_url = normalise_database_url(
        _url("DATABASE_URL", database_url, {"sqlite", "postgresql"})
    )
    redis_url = env.get("REDIS_URL") or None
    if redis_url:
        _url("REDIS_URL", redis_url, {"redis", "rediss", "unix"})
    smtp_url = env.get("SMTP_URL") or None
    if smtp_url:
        _url("SMTP_URL", smtp_url, {"smtp", "smtps"})
    port_raw = env.get("PORT", "5000")
    try:
        port = int(port_raw)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(f"PORT must be a number from 1 to 65535, got {port_raw!r}") from None
    public_url = (env.get("PUBLIC_URL") or f"http://{env.get('HOST', '127.0.0.1')}:{port}").rstrip(
        "/"
    )
    _url("PUBLIC_URL", public_url, {"http", "https"})
    secret = env.get("SECRET_KEY") or ""
    if not secret:
        secret = _instance_secret(instance)
    elif len(secret) < 16:
        raise ConfigError("SECRET_KEY must be at least 16 characters")
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        smtp_url=smtp_url,
        secret_key=secret,
        public_url=public_url,
        webhook_allow_private=_bool("WEBHOOK_ALLOW_PRIVATE", env.get("WEBHOOK_ALLOW_PRIVATE")),
        webhook_retry_schedule=parse_retry_schedule(env.get("WEBHOOK_RETRY_SCHEDULE")),
        instance_path=instance,
        host=env.get("HOST", "127.0.0.1"),
        redis_namespace=env.get("REDIS_NAMESPACE") or "jointlab",
        webhook_timeout=_seconds("WEBHOOK_TIMEOUT", env.get("WEBHOOK_TIMEOUT"), 15.0),
        webhook_concurrency=_count("WEBHOOK_CONCURRENCY", env.get("WEBHOOK_CONCURRENCY"), 16),
        trusted_proxies=_proxies(env.get("TRUSTED_PROXIES")),
        # At least one update of the largest size (4 MiB) must fit.
        document_max_stored_bytes=_bytes(
            "DOCUMENT_MAX_STORED_BYTES",
            env.get("DOCUMENT_MAX_STORED_BYTES"),
            16 * 1024 * 1024,
            4 * 1024 * 1024,
        ),
        document_cache_max_bytes=_bytes(
            "DOCUMENT_CACHE_MAX_BYTES",
            env.get("DOCUMENT_CACHE_MAX_BYTES"),
            64 * 1024 * 1024,
            1024 * 1024,
        ),
        port=port,
        storage_url=_storage_url(env.get("STORAGE_URL")),
        s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        file_max_bytes=_bytes("FILE_MAX_BYTES", env.get("FILE_MAX_BYTES"), 200 * 1024 * 1024)
        or 200 * 1024 * 1024,
        workspace_file_quota_bytes=_bytes(
            "WORKSPACE_FILE_QUOTA_BYTES", env.get("WORKSPACE_FILE_QUOTA_BYTES"), 0
        ),
    )


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in instance/, so sessions survive restarts
    without asking a newcomer to invent a SECRET_KEY."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
