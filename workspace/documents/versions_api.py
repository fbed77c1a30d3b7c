"""Versions over REST: list, create, read, diff, restore, approve."""

from __future__ import annotations

from typing import Any

from workspace.auth.current import require_user
from workspace.db import db
from workspace.documents import versions
from workspace.documents.schemas import (
    ApproveResultSchema,
    DiffQuerySchema,
    DiffSchema,
    DocumentSchema,
    VersionCreateSchema,
    VersionListQuerySchema,
    VersionSchema,
)
from workspace.http import Page, cursor_int, endpoint, page_of


@endpoint(
    "/documents/<int:document_id>/versions",
    summary="Versions, newest first",
    tag="versions",
    query=VersionListQuerySchema(),
    response=VersionSchema(),
    paginated=True,
)
def list_versions(document_id: int, query: dict) -> Page:
    user = require_user()
    with db.reading() as s:
        rows = versions.list_versions(
            s, user, document_id, cursor_int(query["cursor"]), query["limit"]
        )
        page = page_of(rows, query["limit"])
        page.items = [versions.version_payload(v) for v in page.items]
    return page


@endpoint(
    "/documents/<int:document_id>/versions",
    "POST",
    summary="Save a named version",
    tag="versions",
    body=VersionCreateSchema(),
    response=VersionSchema(),
    status=201,
    limits="label: at most 200 characters",
)
def create_version(document_id: int, data: dict) -> Any:
    user = require_user()
    with db.transaction() as s:
        return versions.version_payload(
            versions.create_version(s, user, document_id, data["label"])
        )


@endpoint(
    "/documents/<int:document_id>/versions/<int:version_id>",
    summary="A version with its text",
    tag="versions",
    response=VersionSchema(),
)
def get_version(document_id: int, version_id: int) -> Any:
    user = require_user()
    with db.reading() as s:
        return versions.version_payload(versions.get_version(s, user, document_id, version_id))


@endpoint(
    "/documents/<int:document_id>/diff",
    summary="Changes between two versions (or a version and `current`): unified, and "
    "side by side with `layout=split`",
    tag="versions",
    query=DiffQuerySchema(),
    response=DiffSchema(),
)
def diff(document_id: int, query: dict) -> Any:
    user = require_user()
    with db.reading() as s:
        return versions.diff(s, user, document_id, query["from_"], query["to"], query["layout"])


@endpoint(
    "/documents/<int:document_id>/versions/<int:version_id>/restore",
    "POST",
    summary="Restore a version's text as a new edit",
    tag="versions",
    response=DocumentSchema(),
)
def restore(document_id: int, version_id: int) -> Any:
    return versions.restore(require_user(), document_id, version_id)


@endpoint(
    "/documents/<int:document_id>/versions/<int:version_id>/approve",
    "POST",
    summary="Approve a version for your side",
    tag="versions",
    response=ApproveResultSchema(),
)
def approve(document_id: int, version_id: int) -> Any:
    user = require_user()
    with db.transaction() as s:
        return versions.approve(s, user, document_id, version_id)
