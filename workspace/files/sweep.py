"""The orphan sweep: blobs and thumbnails no file row refers to, and temp
files of uploads that died, are deleted from storage.

Safe against an upload in flight: its temp file is being written (fresh),
and it stores its blob and adds its row in one transaction under the blob's
guard (`service.guard_blob`), which the sweep takes too before it checks for
rows and deletes. Only keys older than the grace period are considered, so a
blob stored a moment ago is never even a candidate.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from workspace.db import db
from workspace.files.models import StoredFile
from workspace.files.service import guard_blob
from workspace.files.storage import storage, thumb_key

log = logging.getLogger(__name__)
GRACE_SECONDS = 3600
EVERY_SECONDS = 900


def _sha_of(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".png")


def sweep_orphans(grace: float = GRACE_SECONDS) -> dict[str, int]:
    store = storage()
    cutoff = time.time() - grace
    report = {"temp": store.sweep_staging(grace), "blobs": 0, "thumbnails": 0}
    for prefix, kind in (("sha256/", "blobs"), ("thumbs/", "thumbnails")):
        candidates = [k.key for k in store.keys(prefix) if k.modified < cutoff]
        for key in candidates:
            sha = _sha_of(key)
            if len(sha) != 64:
                continue
            with db.transaction() as s:
                guard_blob(s, sha)
                used = s.scalar(select(StoredFile.id).where(StoredFile.sha256 == sha).limit(1))
                if used is None:
                    store.delete(key)
                    if kind == "blobs":
                        store.delete(thumb_key(sha))
                    report[kind] += 1
    if any(report.values()):
        log.info("file sweep removed %s", report)
    return report
