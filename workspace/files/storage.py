"""Where file bytes live: one small interface, two implementations.

Keys are content addresses (`sha256/ab/cd/abcd…`, `thumbs/ab/abcd….png`), so
a key's bytes never change: a re-upload of the same bytes rewrites the same
key, and the orphan sweep deletes a key no row refers to once it is older
than a grace period (an upload in flight has a fresh key).

The local folder is the embedded default. S3-compatible object storage (AWS,
MinIO, Ceph, OSS, COS…) is reached through boto3: it is the maintained,
reference client for the S3 API, speaks every endpoint that implements it
(`S3_ENDPOINT_URL`), reads the standard AWS credential variables and files,
and does multipart uploads and ranged reads out of the box.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from flask import current_app

from workspace.config import settings_of

CHUNK = 1024 * 1024


def blob_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def thumb_key(sha256: str) -> str:
    return f"thumbs/{sha256[:2]}/{sha256}.png"


@dataclass(frozen=True)
class StoredKey:
    key: str
    modified: float  # seconds since the epoch


class Storage(Protocol):
    def staging_file(self) -> Any:
        """An open binary temp file (with `.name`) an upload is written to."""

    def put(self, key: str, path: str) -> None:
        """Store the finished file at `path` under `key`; `path` is consumed."""

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes of `key` from `start`, `length` of them (all if None)."""

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> Iterator[StoredKey]: ...

    def sweep_staging(self, older_than: float) -> int:
        """Delete temp files of uploads that died mid-way; returns how many."""


class LocalStorage:
    """A folder; temp files sit in its `tmp/` so the final move is a rename
    on the same file system (atomic, no second copy of the bytes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def staging_file(self) -> Any:
        return tempfile.NamedTemporaryFile(dir=self.tmp, prefix="up-", delete=False)

    def _path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def put(self, key: str, path: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        os.utime(target)  # fresh for the sweep's grace period

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        with open(self._path(key), "rb") as fh:
            fh.seek(start)
            left = length
            while left is None or left > 0:
                chunk = fh.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def keys(self, prefix: str) -> Iterator[StoredKey]:
        base = self._path(prefix)
        if not base.exists():
            return
        for path in base.rglob("*"):
            if path.is_file():
                try:
                    mtime = path.stat().st_mtime
                except FileNotFoundError:
                    continue
                yield StoredKey(path.relative_to(self.root).as_posix(), mtime)

    def sweep_staging(self, older_than: float) -> int:
        return _sweep_folder(self.tmp, older_than)


class S3Storage:
    def __init__(self, url: str, endpoint_url: str | None, staging: Path) -> None:
        # local: boto3 takes ~0.4 s to import; only an S3 STORAGE_URL needs it.
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        parsed = urlparse(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.prefix = f"{self.prefix}/" if self.prefix else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else {},
            ),
        )
        # Parts of 16 MiB, four at a time: a 200 MB upload is 13 parts.
        self.transfer = TransferConfig(
            multipart_threshold=16 * CHUNK, multipart_chunksize=16 * CHUNK, max_concurrency=4
        )
        self.tmp = staging
        self.tmp.mkdir(parents=True, exist_ok=True)

    def staging_file(self) -> Any:
        return tempfile.NamedTemporaryFile(dir=self.tmp, prefix="up-", delete=False)

    def put(self, key: str, path: str) -> None:
        try:
            self.client.upload_file(path, self.bucket, self.prefix + key, Config=self.transfer)
        finally:
            os.unlink(path)

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        extra = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key, **extra)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def keys(self, prefix: str) -> Iterator[StoredKey]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                yield StoredKey(obj["Key"][len(self.prefix) :], obj["LastModified"].timestamp())

    def sweep_staging(self, older_than: float) -> int:
        return _sweep_folder(self.tmp, older_than)


def _sweep_folder(folder: Path, older_than: float) -> int:
    removed = 0
    cutoff = time.time() - older_than
    for path in folder.glob("up-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def open_storage(settings: Any) -> Storage:
    url = settings.storage_url
    if url.startswith("s3://"):
        return S3Storage(url, settings.s3_endpoint_url, settings.instance_path / "files-staging")
    if url.startswith("file://"):
        return LocalStorage(Path(urlparse(url).path))
    return LocalStorage(settings.storage_path)


def storage() -> Storage:
    """This app's storage (made once per app)."""
    found = current_app.extensions.get("jointlab.storage")
    if found is None:
        found = current_app.extensions["jointlab.storage"] = open_storage(settings_of(current_app))
    return found


def copy_out(store: Storage, key: str, target: Any) -> None:
    """Write all of `key` to a binary file object (jobs read blobs this way)."""
    for chunk in store.read(key):
        target.write(chunk)
