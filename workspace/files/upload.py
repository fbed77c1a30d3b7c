"""Receiving a multipart upload without holding it in memory.

Werkzeug's form parser would spool the file to a temp folder and we would
then copy it again; instead its sans-IO decoder is fed from the request
stream in chunks, the file part goes straight into a temp file beside the
storage (hashed on the way), and the small fields are kept, bounded. Any
failure removes the temp file: an interrupted upload leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from typing import IO, Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from workspace.errors import BadRequest, PayloadTooLarge, ValidationFailed

READ = 1024 * 1024
MAX_FIELD_BYTES = 1024  # ids only
MAX_PARTS = 8


@dataclass
class Upload:
    path: str | None = None
    filename: str = ""
    declared_type: str = ""
    size: int = 0
    sha256: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self.path = None


def human(size: int) -> str:
    for unit, step in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= step:
            return f"{size / step:g} {unit}"
    return f"{size} bytes"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the limit of {human(limit)} ({limit:,} bytes).",
        fields={"file": [f"At most {limit:,} bytes."]}, code="file_too_large")


def receive(stream: IO[bytes], content_type: str | None, staging: Any, max_bytes: int,
            file_field: str = "file") -> Upload:
    """Read a multipart body: the `file_field` part into a temp file from
    `staging()`, other parts as short text fields."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        raise BadRequest("Send the file as multipart/form-data with a `file` part.",
                         code="not_multipart")
    # The decoder's buffer holds at most one read plus a part's headers: that
    # bound, not the file's size, is what the upload costs in memory.
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=2 * READ,
                               max_parts=MAX_PARTS)
    upload = Upload()
    out: IO[bytes] | None = None
    digest = hashlib.sha256()
    current: str | None = None
    text = bytearray()
    parts = 0
    done = False
    try:
        while not done:
            try:
                chunk = stream.read(READ)
            except RequestEntityTooLarge:
                raise too_large(max_bytes) from None
            try:
                decoder.receive_data(chunk or None)
            except RequestEntityTooLarge:
                raise BadRequest("The multipart body is malformed: a part's headers never end.",
                                 code="bad_multipart") from None
            while True:
                try:
                    event = decoder.next_event()
                except ValueError as err:
                    raise BadRequest(f"The multipart body is malformed: {err}.",
                                     code="bad_multipart") from None
                except RequestEntityTooLarge:
                    raise ValidationFailed("Too many form parts.",
                                           fields={"_schema": ["Too many parts."]}) from None
                if isinstance(event, NeedData):
                    break
                if isinstance(event, Epilogue):
                    done = True
                    break
                if isinstance(event, File | Field):
                    parts += 1
                    if parts > MAX_PARTS:
                        raise ValidationFailed("Too many form parts.",
                                               fields={"_schema": ["Too many parts."]})
                    current, text = event.name, bytearray()
                    if isinstance(event, File) and event.name == file_field:
                        if out is not None:
                            raise ValidationFailed("Send one file per request.",
                                                   fields={"file": ["Only one file."]})
                        out = staging()
                        upload.path = out.name
                        upload.filename = event.filename or ""
                        upload.declared_type = event.headers.get("Content-Type", "")
                    elif isinstance(event, File):
                        current = None  # a file part we did not ask for: dropped
                elif isinstance(event, Data):
                    if current == file_field and out is not None:
                        upload.size += len(event.data)
                        if upload.size > max_bytes:
                            raise too_large(max_bytes)
                        digest.update(event.data)
                        out.write(event.data)
                    elif current is not None:
                        text += event.data
                        if len(text) > MAX_FIELD_BYTES:
                            raise ValidationFailed(f"The field `{current}` is too long.",
                                                   fields={current: ["Too long."]})
                        if not event.more_data:
                            upload.fields[current] = text.decode("utf-8", "replace")
            if not chunk and not done:
                raise BadRequest("The upload ended before the multipart body did.",
                                 code="incomplete_upload")
        if out is None:
            raise ValidationFailed("Send the file in a part named `file`.",
                                   fields={"file": ["Missing."]})
        out.close()
        upload.sha256 = digest.hexdigest()
        return upload
    except (ClientDisconnected, OSError) as err:
        upload.discard()
        raise BadRequest("The upload was interrupted.", code="incomplete_upload") from err
    except BaseException:
        if out is not None:
            out.close()
        upload.discard()
        raise
    finally:
        if out is not None and not out.closed:
            out.close()
