"""Documents and comments over REST. Versions are in versions_api.py."""

from __future__ import annotations

from typing import Any

from workspace.auth.access import Need
from workspace.auth.current import require_user
from workspace.db import db
from workspace.documents import comments, render, service, threads
from workspace.documents.schemas import (
    CommentCreateSchema,
    CommentEditSchema,
    CommentListQuerySchema,
    CommentSchema,
    DocumentCreateSchema,
    DocumentSchema,
    DocumentUpdateSchema,
    PreviewSchema,
    TextSchema,
)
from workspace.errors import ValidationFailed
from workspace.http import Page, cursor_int, endpoint, page_of

TEXT_LIMIT = "text: at most 1 MB (1,048,576 bytes) of UTF-8, else 413 naming the limit"


@endpoint(
    "/workspaces/<int:workspace_id>/documents",
    summary="The workspace's documents",
    tag="documents",
    response=DocumentSchema(),
    paginated=True,
)
def list_documents(workspace_id: int, query: dict) -> Page:
    user = require_user()
    with db.reading() as s:
        rows = service.list_documents(
            s, user, workspace_id, cursor_int(query["cursor"]), query["limit"]
        )
        page = page_of(rows, query["limit"])
        page.items = [
            service.document_payload(s, d, service.current_text(s, d.id)) for d in page.items
        ]
    return page


@endpoint(
    "/workspaces/<int:workspace_id>/documents",
    "POST",
    summary="Add an answer document",
    tag="documents",
    body=DocumentCreateSchema(),
    response=DocumentSchema(),
    status=201,
    limits=TEXT_LIMIT,
)
def create_document(workspace_id: int, data: dict) -> Any:
    user = require_user()
    with db.transaction() as s:
        document = service.create_document(s, user, workspace_id, **data)
        return service.document_payload(s, document, service.current_text(s, document.id))


@endpoint(
    "/documents/<int:document_id>",
    summary="A document with its current text",
    tag="documents",
    response=DocumentSchema(),
)
def get_document(document_id: int) -> Any:
    user = require_user()
    with db.reading() as s:
        document = service.require_document(s, user, document_id)
        return service.document_payload(s, document, service.current_text(s, document_id))


@endpoint(
    "/documents/<int:document_id>",
    "PATCH",
    summary="Rename a document",
    tag="documents",
    body=DocumentUpdateSchema(),
    response=DocumentSchema(),
    limits="title: trimmed, 1 to 200 characters",
)
def update_document(document_id: int, data: dict) -> Any:
    user = require_user()
    with db.transaction() as s:
        document = service.rename_document(s, user, document_id, data["title"])
        return service.document_payload(s, document, service.current_text(s, document.id))


@endpoint(
    "/documents/<int:document_id>/text",
    "PUT",
    summary="Replace the text (applied as a minimal CRDT edit)",
    tag="documents",
    body=TextSchema(),
    response=DocumentSchema(),
    limits=TEXT_LIMIT,
)
def put_text(document_id: int, data: dict) -> Any:
    return service.replace_text(require_user(), document_id, data["text"])


@endpoint(
    "/documents/<int:document_id>/preview",
    "POST",
    need=Need.READ,
    summary="Render Markdown as sanitised HTML (the editor's preview)",
    tag="documents",
    body=TextSchema(),
    response=PreviewSchema(),
    scope="read",
    limits=TEXT_LIMIT,
)
def preview(document_id: int, data: dict) -> Any:
    user = require_user()
    service.check_text_size(data["text"])
    with db.reading() as s:
        service.require_document(s, user, document_id)
    return {"html": render.render_markdown(data["text"])}


@endpoint(
    "/documents/<int:document_id>/comments",
    summary="Comments, oldest first",
    tag="comments",
    query=CommentListQuerySchema(),
    response=CommentSchema(),
    paginated=True,
)
def list_comments(document_id: int, query: dict) -> Page:
    user = require_user()
    with db.reading() as s:
        rows = comments.list_comments(
            s, user, document_id, cursor_int(query["cursor"]), query["limit"], query["resolved"]
        )
    return page_of(rows, query["limit"], key=lambda c: c["id"])


def _body(data: dict) -> str:
    if not data["body"].strip():
        raise ValidationFailed("The comment is empty.", fields={"body": ["Write something."]})
    return data["body"]


@endpoint(
    "/documents/<int:document_id>/comments",
    "POST",
    need=Need.COMMENT,
    summary="Comment, maybe on a range, or reply to a thread",
    tag="comments",
    body=CommentCreateSchema(),
    response=CommentSchema(),
    status=201,
    limits="body: 1 to 10,000 characters; anchor {from, to} in characters; "
    "mentions: at most 50 member ids",
)
def create_comment(document_id: int, data: dict) -> Any:
    user = require_user()
    body = _body(data)
    anchor = data["anchor"]
    if anchor is not None:
        anchor = {"from": anchor["from_"], "to": anchor["to"]}
    with db.transaction() as s:
        return comments.create_comment(
            s, user, document_id, body, anchor, data["parent_id"], data["mentions"]
        )


@endpoint(
    "/comments/<int:comment_id>",
    "PATCH",
    summary="Edit your own comment",
    tag="comments",
    body=CommentEditSchema(),
    guard=threads.comment_authors,
    response=CommentSchema(),
    limits="body: 1 to 10,000 characters; only the author (others 403)",
)
def edit_comment(comment_id: int, data: dict) -> Any:
    user = require_user()
    body = _body(data)
    with db.transaction() as s:
        return threads.edit_comment(s, user, comment_id, body, data["mentions"])


@endpoint(
    "/comments/<int:comment_id>",
    "DELETE",
    summary="Delete a comment (a thread's first comment takes its replies)",
    tag="comments",
    status=204,
)
def delete_comment(comment_id: int) -> None:
    user = require_user()
    with db.transaction() as s:
        threads.delete_comment(s, user, comment_id)


# Threads are resolved and reopened by their first comment.
ON_A_REPLY = {
    "422": {"description": "A reply: threads are resolved and reopened by their first comment"}
}


@endpoint(
    "/comments/<int:comment_id>/resolve",
    "POST",
    summary="Resolve a thread",
    tag="comments",
    response=CommentSchema(),
    doc_responses=ON_A_REPLY,
)
def resolve_comment(comment_id: int) -> Any:
    user = require_user()
    with db.transaction() as s:
        return threads.set_resolved(s, user, comment_id, True)


@endpoint(
    "/comments/<int:comment_id>/reopen",
    "POST",
    summary="Reopen a resolved thread",
    tag="comments",
    response=CommentSchema(),
    doc_responses=ON_A_REPLY,
)
def reopen_comment(comment_id: int) -> Any:
    user = require_user()
    with db.transaction() as s:
        return threads.set_resolved(s, user, comment_id, False)
