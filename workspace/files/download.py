"""Serving a stored file: streamed, cacheable by its hash, resumable by Range,
named for the person downloading it, and never run by the browser."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from werkzeug.http import parse_range_header

from workspace.files.service import is_inline
from workspace.files.storage import Storage


def disposition(kind: str, name: str) -> str:
    """RFC 6266: an ASCII fallback, and the real (e.g. Chinese) name as RFC 5987
    `filename*`, which every current browser prefers."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in name)
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


def respond(
    store: Storage, key: str, name: str, size: int, sha256: str, content_type: str
) -> Response:
    etag = f'"{sha256}"'
    inline = is_inline(content_type)
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": disposition("inline" if inline else "attachment", name),
        "X-Content-Type-Options": "nosniff",
        # The bytes of an id never change, but access can: a private cache only.
        "Cache-Control": "private, no-cache",
    }
    if inline and content_type == "application/pdf":
        # The browser's own PDF viewer is a plugin: `object-src 'none'` (implied
        # by the default-src 'none' everything else gets) would blank it.
        headers["Content-Security-Policy"] = (
            "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
        )
    mimetype = content_type if inline else "application/octet-stream"
    if content_type == "text/plain":
        mimetype = "text/plain; charset=utf-8"
    if _matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    start, length, status = 0, size, 200
    raw_range = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if raw_range and (if_range is None or if_range.strip() == etag):
        parsed = parse_range_header(raw_range)
        if parsed is not None and len(parsed.ranges) == 1:
            found = parsed.range_for_length(size)
            if found is None:
                headers["Content-Range"] = f"bytes */{size}"
                return Response(status=416, headers=headers)
            start, stop = found
            length, status = stop - start, 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        # Several ranges or an unreadable header: the whole file (RFC 9110 allows it).
    headers["Content-Length"] = str(length)
    body = store.read(key, start, length) if length else iter(())
    return Response(
        body, status=status, headers=headers, mimetype=mimetype, direct_passthrough=True
    )


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags
