"""Thumbnails of uploaded images, made in the background.

Decoding images is where hostile files hurt (decompression bombs, truncated
or malformed data), so it happens only here, never in a request: the blob is
copied to a temp file only if it is below a size cap, Pillow refuses images
over MAX_PIXELS before decoding them, JPEGs are decoded at reduced scale
(`draft`), only the first frame of an animation is read, and any failure
just means "no thumbnail". Thumbnails are keyed by the blob's SHA-256: the
same picture uploaded twice is decoded once.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import warnings

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspace.db import db
from workspace.events import after_commit
from workspace.events import types as ev
from workspace.events.models import Event
from workspace.files.models import StoredFile
from workspace.files.service import IMAGE_TYPES
from workspace.files.storage import blob_key, copy_out, storage, thumb_key

log = logging.getLogger(__name__)
MAKE = "workspace.files.thumbs.make_thumbnail"
THUMB_SIDE = 512
MAX_SOURCE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 MP: any camera or X-ray detector; past it, no thumbnail


def plan_thumbnails(session: Session, events: list[Event]) -> None:
    ids = [
        ((e.data or {}).get("file") or {}).get("id")
        for e in events
        if e.type == ev.FILE_ADDED
        and ((e.data or {}).get("file") or {}).get("content_type") in IMAGE_TYPES
    ]
    for file_id in ids:
        if file_id is not None:
            after_commit.enqueue(session, MAKE, file_id, job_id=f"thumb-{file_id}")


def render(data_path: str) -> bytes:
    """PNG thumbnail bytes of the image in `data_path`; raises on anything
    that is not a decodable image within the limits."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        # Pillow warns between MAX_PIXELS and twice that; we refuse outright.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(data_path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ValueError("too many pixels")
            im.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decode at reduced scale
            im.seek(0)
            im.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = im.convert("RGBA" if "A" in im.getbands() or im.mode == "P" else "RGB")
            buf = io.BytesIO()
            out.save(buf, "PNG", optimize=False)
            return buf.getvalue()


def make_thumbnail(file_id: int) -> str:
    with db.reading() as s:
        f = s.get(StoredFile, file_id)
        if f is None or f.thumbnail is not None:
            return "nothing to do"
        sha, size, ctype = f.sha256, f.size, f.content_type
        done = s.scalar(
            select(StoredFile.thumbnail)
            .where(StoredFile.sha256 == sha, StoredFile.thumbnail.is_not(None))
            .limit(1)
        )
    if done is None:
        done = _make(sha, size, ctype)
    with db.transaction() as s:
        s.execute(
            update(StoredFile)
            .where(StoredFile.sha256 == sha, StoredFile.thumbnail.is_(None))
            .values(thumbnail=done)
        )
    return done


def _make(sha: str, size: int, content_type: str) -> str:
    if content_type not in IMAGE_TYPES or size > MAX_SOURCE_BYTES:
        return "none"
    store = storage()
    fd, path = tempfile.mkstemp(prefix="thumb-")
    try:
        with os.fdopen(fd, "wb") as fh:
            copy_out(store, blob_key(sha), fh)
        try:
            png = render(path)
        except Exception as err:  # hostile or broken image: no thumbnail, no crash
            log.info("no thumbnail for %s: %s", sha[:12], err)
            return "none"
        with store.staging_file() as out:
            out.write(png)
        store.put(thumb_key(sha), out.name)
        return "ready"
    finally:
        os.unlink(path)


def sweep_thumbnails() -> int:
    """Images whose job was lost (a restart) get one."""
    with db.reading() as s:
        ids = list(
            s.scalars(
                select(StoredFile.id)
                .where(StoredFile.thumbnail.is_(None), StoredFile.content_type.in_(IMAGE_TYPES))
                .order_by(StoredFile.id)
                .limit(50)
            )
        )
    return sum(1 for i in ids if make_thumbnail(i) == "ready")
