"""Routes for files (thin: check access, receive, call the service, stream)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from workspace.auth.current import require_user
from workspace.config import settings_of
from workspace.db import db
from workspace.errors import ValidationFailed
from workspace.files import download, service
from workspace.files.schemas import UPLOAD_BODY, FileListQuerySchema, FileSchema
from workspace.files.storage import blob_key, storage
from workspace.files.upload import receive, too_large
from workspace.http import Page, cursor_int, endpoint, error_doc, page_of

FILE = FileSchema()
# Multipart framing and the small id fields around the file itself.
FORM_OVERHEAD = 64 * 1024


@endpoint(
    "/workspaces/<int:workspace_id>/files",
    "POST",
    summary="Upload a file",
    tag="files",
    response=FILE,
    status=201,
    doc_body=UPLOAD_BODY,
    limits="FILE_MAX_BYTES per file (default 200 MiB) and the workspace's quota "
    "(WORKSPACE_FILE_QUOTA_BYTES): 413; an empty file: 422",
    doc_responses={
        "413": error_doc(
            "Larger than FILE_MAX_BYTES or over the workspace's quota; nothing is stored"
        )
    },
)
def upload_file(workspace_id: int) -> Any:
    user = require_user()
    settings = settings_of(current_app)
    with db.reading() as s:
        service.check_may_upload(s, user, workspace_id)
    limit = settings.file_max_bytes
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        raise too_large(limit)
    request.max_content_length = limit + FORM_OVERHEAD
    store = storage()
    upload = receive(request.stream, request.headers.get("Content-Type"), store.staging_file, limit)
    try:
        if upload.size == 0:
            raise ValidationFailed(
                "The file is empty.", fields={"file": ["Empty file."]}, code="empty_file"
            )
        with db.reading() as s:  # the cheap refusals before the bytes are moved
            service.check_attachment_and_quota(
                s, user, workspace_id, upload, settings.workspace_file_quota_bytes
            )
        with db.transaction() as s:
            # The bytes are stored and the row added under the blob's guard,
            # so the orphan sweep never deletes a blob a new row refers to.
            service.guard_blob(s, upload.sha256)
            store.put(blob_key(upload.sha256), upload.path)
            upload.path = None
            f = service.add_file(s, user, workspace_id, upload, settings.workspace_file_quota_bytes)
            answer = service.payload(s, f)
    finally:
        upload.discard()
    response = jsonify(FILE.dump(answer))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/files/{answer['id']}"
    return response


@endpoint(
    "/workspaces/<int:workspace_id>/files",
    summary="Files, oldest first; filter by what they are attached to",
    tag="files",
    query=FileListQuerySchema(),
    response=FILE,
    paginated=True,
)
def list_files(workspace_id: int, query: dict) -> Page:
    with db.reading() as s:
        rows = service.list_files(
            s, require_user(), workspace_id, cursor_int(query["cursor"]), query["limit"], query
        )
        page = page_of(rows, query["limit"])
        page.items = service.payloads(s, page.items)
    return page


@endpoint("/files/<int:file_id>", summary="A file's description", tag="files", response=FILE)
def get_file(file_id: int) -> Any:
    with db.reading() as s:
        return service.payload(s, service.get_file(s, require_user(), file_id))


@endpoint(
    "/files/<int:file_id>/content",
    summary="The file's bytes: ETag / If-None-Match "
    "(304), Range (206, 416), Content-Disposition with the name; only images, PDF "
    "and plain text are shown inline, everything else is a download",
    tag="files",
    doc_responses={
        "200": {
            "description": "The bytes, with the file's own type",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        "206": {"description": "The requested range"},
        "304": {"description": "Not modified (If-None-Match)"},
        "416": {"description": "Range not satisfiable"},
    },
)
def file_content(file_id: int) -> Response:
    with db.reading() as s:
        f = service.get_file(s, require_user(), file_id)
        name, size, sha, ctype = f.name, f.size, f.sha256, f.content_type
    return download.respond(storage(), blob_key(sha), name, size, sha, ctype)


@endpoint(
    "/files/<int:file_id>",
    "DELETE",
    summary="Delete a file (its uploader or an owner)",
    tag="files",
    status=204,
)
def delete_file(file_id: int) -> None:
    with db.transaction() as s:
        service.delete_file(s, require_user(), file_id)
