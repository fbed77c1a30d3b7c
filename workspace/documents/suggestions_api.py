"""Suggested edits over REST (SPEC v1.1)."""

from __future__ import annotations

from typing import Any

from workspace.auth.access import Need
from workspace.auth.current import require_user
from workspace.db import db
from workspace.documents import suggestions
from workspace.documents.schemas import (
    SuggestionCreateSchema,
    SuggestionListQuerySchema,
    SuggestionSchema,
)
from workspace.http import Page, cursor_int, endpoint, page_of

OUTDATED = {
    "409": {
        "description": "`suggestion_outdated`: the words it replaces are no "
        "longer in the text (it becomes `outdated`); "
        "`suggestion_decided`: accepted or rejected already"
    }
}
DECIDED = {"409": {"description": "`suggestion_decided`: accepted or rejected already"}}


@endpoint(
    "/documents/<int:document_id>/suggestions",
    summary="Suggested edits, oldest first",
    tag="suggestions",
    query=SuggestionListQuerySchema(),
    response=SuggestionSchema(),
    paginated=True,
)
def list_suggestions(document_id: int, query: dict) -> Page:
    user = require_user()
    with db.reading() as s:
        rows = suggestions.list_suggestions(
            s, user, document_id, cursor_int(query["cursor"]), query["limit"], query["statuses"]
        )
    return page_of(rows, query["limit"], key=lambda x: x["id"])


@endpoint(
    "/documents/<int:document_id>/suggestions",
    "POST",
    need=Need.COMMENT,
    summary="Suggest replacing a range of the text (viewers too)",
    tag="suggestions",
    body=SuggestionCreateSchema(),
    response=SuggestionSchema(),
    status=201,
    limits="anchor {from, to} in characters, at most 10,000 apart; "
    "text: at most 10,000 characters; note: at most 2,000",
)
def create_suggestion(document_id: int, data: dict) -> Any:
    user = require_user()
    anchor = {"from": data["anchor"]["from_"], "to": data["anchor"]["to"]}
    with db.transaction() as s:
        return suggestions.create_suggestion(
            s, user, document_id, anchor, data["text"], data["note"]
        )


@endpoint(
    "/suggestions/<int:suggestion_id>",
    summary="A suggested edit",
    tag="suggestions",
    response=SuggestionSchema(),
)
def get_suggestion(suggestion_id: int) -> Any:
    user = require_user()
    with db.reading() as s:
        return suggestions.get_suggestion(s, user, suggestion_id)


@endpoint(
    "/suggestions/<int:suggestion_id>/accept",
    "POST",
    summary="Accept: apply it to the live text (owners and editors)",
    tag="suggestions",
    response=SuggestionSchema(),
    doc_responses=OUTDATED,
)
def accept_suggestion(suggestion_id: int) -> Any:
    return suggestions.accept(require_user(), suggestion_id)


@endpoint(
    "/suggestions/<int:suggestion_id>/reject",
    "POST",
    need=Need.COMMENT,
    summary="Reject (owners and editors) or withdraw (its author)",
    tag="suggestions",
    response=SuggestionSchema(),
    doc_responses=DECIDED,
)
def reject_suggestion(suggestion_id: int) -> Any:
    user = require_user()
    with db.transaction() as s:
        return suggestions.reject(s, user, suggestion_id)
