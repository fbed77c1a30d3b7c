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
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import IO, Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from workspace import cooperative
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
        fields={"file": [f"At most {limit:,} bytes."]},
        code="file_too_large",
    )


class _Sink:
    """Where the file part goes: a temp file, hashed on the way. The hash of
    one chunk runs in a helper thread while the next is read and written
    (hashlib and file writes release the GIL), so hashing costs no time of
    its own; one chunk in flight keeps the order and bounds the memory."""

    def __init__(self, fh: IO[bytes], max_bytes: int) -> None:
        self.fh, self.max_bytes = fh, max_bytes
        self.digest = hashlib.sha256()
        self.size = 0
        self._pool = cooperative.native_executor(1, "upload-hash")
        self._pending: Future[None] | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self.digest.update, data)
        self.fh.write(data)

    def finish(self) -> str:
        if self._pending is not None:
            self._pending.result()
        self.close()
        return self.digest.hexdigest()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if not self.fh.closed:
            self.fh.close()


def _read(stream: IO[bytes], max_bytes: int) -> bytes:
    try:
        return stream.read(READ)
    except RequestEntityTooLarge:
        raise too_large(max_bytes) from None


def _delimiter_at(buf: bytes, marker: bytes, at: int) -> int | None:
    """Where the delimiter whose `--boundary` is at `at` begins (with its line
    break), or None if that is data that merely contains the boundary: a
    delimiter follows a line break and ends with `--` or a line break."""
    if at == 0 or buf[at - 1 : at] not in (b"\r", b"\n"):
        return None
    after = buf[at + len(marker) : at + len(marker) + 2]
    if not (after.startswith((b"--", b"\r", b"\n")) or after.strip(b" \t") == b""):
        return None
    return at - (2 if buf[at - 2 : at] == b"\r\n" else 1)


def _copy_part(
    stream: IO[bytes], buffered: bytes, boundary: bytes, sink: _Sink, max_bytes: int
) -> bytes:
    """Copy the file part's bytes to `sink`, past the decoder: one `find` per
    chunk instead of its per-chunk regex and copies (3× the throughput).
    Returns what follows the part, from its closing `--boundary` on."""
    marker = b"--" + boundary
    keep = len(marker) + 4  # a delimiter may straddle two reads
    # The part's data starts after the line break that ends its headers
    # (the decoder leaves it in its buffer).
    buf, start, eof = buffered, True, False
    while True:
        if start and (len(buf) >= 2 or eof):
            buf = (
                buf[2:]
                if buf.startswith(b"\r\n")
                else buf[1:]
                if buf[:1] in (b"\r", b"\n")
                else buf
            )
            buf, start = b"\n" + buf, False  # so a delimiter at once is found too
            sink_offset = 1
        if not start:
            at = buf.find(marker, 1)
            while at >= 0:
                begin = _delimiter_at(buf, marker, at)
                if begin is not None and (len(buf) >= at + len(marker) + 2 or eof):
                    sink.write(buf[sink_offset : max(begin, sink_offset)])
                    return buf[at:]
                if begin is not None:
                    break  # need the bytes after it to be sure
                at = buf.find(marker, at + 1)
            if len(buf) - sink_offset > keep:
                sink.write(buf[sink_offset:-keep])
                buf, sink_offset = buf[-keep:], 0
        if eof:
            raise BadRequest(
                "The upload ended before the multipart body did.", code="incomplete_upload"
            )
        chunk = _read(stream, max_bytes)
        eof = not chunk
        buf += chunk


def _decoder(boundary: bytes) -> MultipartDecoder:
    # The decoder only sees part headers and the small fields: its buffer
    # holds at most a read plus those, whatever the file's size.
    return MultipartDecoder(boundary, max_form_memory_size=2 * READ, max_parts=MAX_PARTS)


def receive(
    stream: IO[bytes],
    content_type: str | None,
    staging: Any,
    max_bytes: int,
    file_field: str = "file",
) -> Upload:
    """Read a multipart body: the `file_field` part into a temp file from
    `staging()`, other parts as short text fields."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        raise BadRequest(
            "Send the file as multipart/form-data with a `file` part.", code="not_multipart"
        )
    bnd = boundary.encode("latin-1")
    decoder = _decoder(bnd)
    upload = Upload()
    sink: _Sink | None = None
    current: str | None = None
    text = bytearray()
    parts = 0
    done = False
    pending = b""
    try:
        while not done:
            chunk, pending = (pending, b"") if pending else (_read(stream, max_bytes), b"")
            try:
                decoder.receive_data(chunk or None)
            except RequestEntityTooLarge:
                raise BadRequest(
                    "The multipart body is malformed: a part's headers never end.",
                    code="bad_multipart",
                ) from None
            while True:
                try:
                    event = decoder.next_event()
                except ValueError as err:
                    raise BadRequest(
                        f"The multipart body is malformed: {err}.", code="bad_multipart"
                    ) from None
                except RequestEntityTooLarge:
                    raise ValidationFailed(
                        "Too many form parts.", fields={"_schema": ["Too many parts."]}
                    ) from None
                if isinstance(event, NeedData):
                    break
                if isinstance(event, Epilogue):
                    done = True
                    break
                if isinstance(event, File | Field):
                    parts += 1
                    if parts > MAX_PARTS:
                        raise ValidationFailed(
                            "Too many form parts.", fields={"_schema": ["Too many parts."]}
                        )
                    current, text = event.name, bytearray()
                    if isinstance(event, File) and event.name == file_field:
                        if sink is not None:
                            raise ValidationFailed(
                                "Send one file per request.", fields={"file": ["Only one file."]}
                            )
                        sink = _Sink(staging(), max_bytes)
                        upload.path = sink.fh.name
                        upload.filename = event.filename or ""
                        upload.declared_type = event.headers.get("Content-Type", "")
                        pending = _copy_part(stream, bytes(decoder.buffer), bnd, sink, max_bytes)
                        # A fresh decoder for what follows the file part.
                        decoder, current = _decoder(bnd), None
                        break
                    if isinstance(event, File):
                        current = None  # a file part we did not ask for: dropped
                elif isinstance(event, Data) and current is not None:
                    text += event.data
                    if len(text) > MAX_FIELD_BYTES:
                        raise ValidationFailed(
                            f"The field `{current}` is too long.", fields={current: ["Too long."]}
                        )
                    if not event.more_data:
                        upload.fields[current] = text.decode("utf-8", "replace")
            if not chunk and not done:
                raise BadRequest(
                    "The upload ended before the multipart body did.", code="incomplete_upload"
                )
        if sink is None:
            raise ValidationFailed(
                "Send the file in a part named `file`.", fields={"file": ["Missing."]}
            )
        upload.size = sink.size
        upload.sha256 = sink.finish()
        return upload
    except (ClientDisconnected, OSError) as err:
        if sink is not None:
            sink.close()
        upload.discard()
        raise BadRequest("The upload was interrupted.", code="incomplete_upload") from err
    except BaseException:
        if sink is not None:
            sink.close()
        upload.discard()
        raise
