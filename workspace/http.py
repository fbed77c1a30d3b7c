"""The `/api/v1` blueprint: one decorator validates, authorises and documents.

`@endpoint(...)` names the input and output schemas of a route once; the same
declaration parses the request and feeds the OpenAPI document, so the docs
cannot drift from what the code accepts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

from workspace import json_input
from workspace.auth import guards
from workspace.auth.current import (
    QUERY_TOKEN_ENDPOINTS,
    load_request_user,
    protect_anonymous_write,
    require_scope,
    require_user,
)
from workspace.db import db
from workspace.errors import AppError, PayloadTooLarge, ValidationFailed
from workspace.fields import MAX_ID

api = Blueprint("api", __name__, url_prefix="/api/v1")


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id no row can have is a 404 at routing,
    not an overflow in the database."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


@api.before_request
def _authenticate() -> None:
    load_request_user()


MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    body: Schema | None
    query: Schema | None
    response: Schema | None
    status: int
    paginated: bool
    scope: str | None
    tag: str
    limits: str | None
    # For bodies and answers a schema cannot describe (one object or a list;
    # a calendar): OpenAPI fragments used as they are.
    doc_body: dict[str, Any] | None = None
    doc_responses: dict[str, Any] | None = None
    query_token: bool = False
    # Who may call the route at all, asked before a refused body is answered.
    guard: Any = None
    # The success answer's media types when it is not JSON: {type: schema}.
    produces: dict[str, Any] | None = None
    reads_body: bool = False


OPERATIONS: list[Operation] = []
# What a refused body or query is answered with (bad JSON, too large, invalid):
# before saying so, the route's guard decides whether the caller may call it.
BODY_ERRORS = (400, 413, 422)
# Endpoint name -> the view holding it (module.function), to refuse a second.
ENDPOINT_VIEWS: dict[str, str] = {}


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))


def cursor_int(cursor: str | None) -> int:
    """Cursors are opaque to clients; ours are the last id of the page."""
    if cursor is None or cursor == "":
        return 0
    try:
        value = int(cursor)
    except ValueError:
        raise ValidationFailed(
            "Invalid cursor.", fields={"cursor": ["Not a valid cursor."]}
        ) from None
    if value < 0:
        raise ValidationFailed("Invalid cursor.", fields={"cursor": ["Not a valid cursor."]})
    return value


def page_of(rows: list[Any], limit: int, key: Callable[[Any], Any] = lambda r: r.id) -> Page:
    """`rows` was fetched with limit + 1 so we know whether there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(key(rows[-1])) if more and rows else None)


def attachment(
    content: bytes, mimetype: str, filename: str, headers: dict[str, str] | None = None
) -> Response:
    """A finished product to save (an export, an evidence pack): downloaded as
    `filename`, and private to the caller, so never kept by a shared cache."""
    return Response(
        content,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            **(headers or {}),
            "Cache-Control": "private, no-cache",
        },
    )


def error_doc(description: str) -> dict[str, Any]:
    """An OpenAPI response answered with the error envelope, for `doc_responses`."""
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def multipart_body(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An endpoint's `doc_body` for a multipart/form-data upload with a
    required `file` part (and any other `properties`)."""
    schema: dict[str, Any] = {"type": "object", "required": ["file"], "properties": properties}
    if description:
        schema["description"] = description
    return {"content": {"multipart/form-data": {"schema": schema}}}


def body_bytes(max_bytes: int | None = None) -> bytes:
    """The request body, refused (413) past `max_bytes`."""
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise PayloadTooLarge(f"Request body is larger than the limit of {max_bytes} bytes.")
    return request.get_data(cache=True)


def load_json_body(max_bytes: int | None = None) -> Any:
    raw = body_bytes(max_bytes)
    if not raw:
        return {}

    return json_input.parse(raw)


def _load(schema: Schema, data: Any) -> Any:
    if not isinstance(data, dict) and not getattr(schema, "many", False):
        raise ValidationFailed(
            "Expected a JSON object.", fields={"_schema": ["Expected a JSON object."]}
        )
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed("Some fields are invalid.", fields=messages) from None


def endpoint(
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    tag: str,
    body: Schema | None = None,
    query: Schema | None = None,
    response: Schema | None = None,
    status: int = 200,
    paginated: bool = False,
    scope: str | None = "default",
    raw_body: bool = False,
    limits: str | None = None,
    doc_body: dict[str, Any] | None = None,
    doc_responses: dict[str, Any] | None = None,
    query_token: bool = False,
    need: Any = None,
    guard: Any = None,
    produces: dict[str, Any] | None = None,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API route.

    name: the endpoint's name for `url_for("api.<name>")`; by default
    `endpoint_name(view)`, the capability package and the function's name.

    doc_body / doc_responses: OpenAPI fragments for what the schemas cannot say
    (the request body's schema; responses by status, merged over the others).
    scope: "default" means `read` for GET and `write` otherwise; None means no
    authentication (login, health, docs); or a token scope such as
    `measurements:write`.
    query_token: a feed for calendar and Atom readers, which may pass the
    token as `?token=` (every other route refuses it there).
    need / guard: who may call the route, decided before a bad body or query
    is answered (workspace/auth/guards.py). Inside a workspace the guard comes
    from the rule, with `need` (a Need, or a tuple: any of them) when it is
    not READ for GET and EDIT otherwise; outside, `guard=` names it.
    produces: the success answer's media types and schemas when it is not JSON
    (a calendar, a feed, a PDF, a spreadsheet).
    """
    if scope == "default":
        scope = "read" if method == "GET" else "write"
    if paginated and query is None:
        query = PageQuerySchema()

    route_guard = guard or guards.for_rule(rule, method, need)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        route_name = name or endpoint_name(view)
        where = f"{view.__module__}.{view.__qualname__}"
        taken = ENDPOINT_VIEWS.setdefault(route_name, where)
        if taken != where:
            # Flask would only notice when the blueprint is registered, and
            # without naming the two views.
            raise ValueError(
                f"endpoint name {route_name!r} is taken by {taken}; give {where} a name="
            )
        OPERATIONS.append(
            Operation(
                rule,
                method,
                summary,
                body,
                query,
                response,
                status,
                paginated,
                scope,
                tag,
                limits,
                doc_body,
                doc_responses,
                query_token,
                route_guard,
                produces,
                raw_body or body is not None or doc_body is not None,
            )
        )

        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if scope is not None:
                require_scope(scope)
            else:
                protect_anonymous_write()
            try:
                if query is not None:
                    kwargs["query"] = _load(query, request.args.to_dict())
                if body is not None:
                    kwargs["data"] = _load(body, load_json_body())
                elif raw_body:
                    kwargs["payload"] = load_json_body()
                # Views that read their body themselves (uploads, one object
                # or a list) refuse it inside: the same rule applies to them.
                result = view(**kwargs)
            except AppError as err:
                if err.status in BODY_ERRORS and scope is not None and route_guard is not None:
                    _decide_access(route_guard, kwargs)
                raise
            if isinstance(result, tuple) or hasattr(result, "status_code"):
                return result
            return _render(result, response, paginated, status)

        if query_token:
            QUERY_TOKEN_ENDPOINTS.add(f"{api.name}.{route_name}")
        api.add_url_rule(rule, endpoint=route_name, view_func=wrapper, methods=[method])
        return wrapper

    return decorator


def endpoint_name(view: Callable[..., Any]) -> str:
    """`<package>_<function>`: the capability package (`milestones` for
    `workspace.milestones.api`) and the view's name. Not the module path, so
    a view moved between modules of its package keeps its name and every
    `url_for` naming it."""
    parts = view.__module__.split(".")
    package = parts[1] if parts[0] == "workspace" and len(parts) > 1 else parts[0]
    return f"{package}_{view.__name__}"


def _decide_access(guard: Callable[..., None], kwargs: dict[str, Any]) -> None:
    """Raise what the caller would get with a valid body if it may not call
    the route (SPEC v1.1: access is decided before the body is validated)."""
    with db.reading() as s:
        guard(s, require_user(), kwargs)


def _render(result: Any, schema: Schema | None, paginated: bool, status: int) -> Any:
    if paginated:
        assert isinstance(result, Page)
        items = schema.dump(result.items, many=True) if schema else result.items
        return jsonify({"items": items, "next_cursor": result.next_cursor}), status
    if result is None:
        return "", 204
    payload = schema.dump(result) if schema is not None else result
    return jsonify(payload), status
