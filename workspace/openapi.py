"""The OpenAPI 3 document, built from the same `@endpoint` declarations and
marshmallow schemas that validate requests."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import g, jsonify, render_template

from workspace.http import OPERATIONS, api, error_doc

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
            },
        }
    },
}
# Only the feeds take a token in the URL; every other route answers 400.
QUERY_TOKEN = {
    "name": "token",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "An API token with the `read` scope, for calendar and feed readers that "
    "cannot send an Authorization header.",
}
LIMITS = (
    "Limits: titles up to 200 characters; document text up to 1 MB of UTF-8; measurement "
    "batches up to 10,000; list pages up to 200 items. Larger input gets 413 or 422 naming "
    "the limit."
)


def _schema_name(schema: Any) -> str:
    name = type(schema).__name__
    return name[:-6] if name.endswith("Schema") else name


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="JointLab API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": "Workspaces where an enterprise and a university solve a "
            "production problem together. " + LIMITS
        },
        servers=[{"url": "/api/v1"}],
    )
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("cookie", {"type": "apiKey", "in": "cookie", "name": "session"})
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.rule)
        params = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
            for n in re.findall(r"{(\w+)}", path)
        ]
        operation: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": params,
            "responses": _responses(op),
        }
        if op.query is not None:
            operation["parameters"] = params + [{"in": "query", "schema": op.query}]
        if op.query_token:
            operation["parameters"] = operation["parameters"] + [QUERY_TOKEN]
        body = op.doc_body if op.doc_body is not None else op.body
        if isinstance(body, dict) and "content" in body:
            # A body that is not JSON (multipart uploads): given whole.
            operation["requestBody"] = {"required": True, **body}
        elif body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        if op.scope is None:
            operation["security"] = []
        else:
            operation["description"] = f"Token scope: `{op.scope}`."
        if op.limits:
            described = operation.get("description", "") + f" Limits: {op.limits}."
            operation["description"] = described.strip()
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}, {"cookie": []}]
    _numeric_bounds(document)
    return document


def _numeric_bounds(node: Any) -> None:
    """apispec writes a Decimal field's bounds as its serialized form (a string,
    for `as_string` fields); JSON Schema bounds are numbers."""
    if isinstance(node, dict):
        for key in ("minimum", "maximum"):
            if isinstance(node.get(key), str | Decimal):
                number = Decimal(node[key])
                node[key] = int(number) if number == number.to_integral_value() else float(number)
        for value in node.values():
            _numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _numeric_bounds(value)


# Every refusal a route can give, by what the route takes; each is the error
# envelope. A status a route gives and its entry does not list is a bug that
# tests/fuzz (schemathesis, status-code conformance) reports.
ERRORS = {
    "400": "Not JSON, JSON nested too deeply, a token in the URL where none is taken, or "
    "a cookie write without its CSRF token",
    "401": "No valid credentials: log in or send an API token",
    "403": "Not allowed: the caller's role in the workspace, or the token's scope",
    "404": "No such row, or one the caller may not see (the same answer)",
    "409": "The request conflicts with the current state (the message says which)",
    "413": "The body is larger than the route's limit",
    "422": "Invalid input: `fields` names each field and what is wrong",
    "429": "Too many attempts: wait for Retry-After seconds",
    "503": "The database or Redis cannot be reached right now: retry later",
}


def _error_codes(op: Any) -> list[str]:
    codes = ["503"]
    authenticated = op.scope is not None
    if authenticated:
        codes += ["400", "401", "403"]
    if "<" in op.rule:
        codes.append("404")
    if op.reads_body:
        codes += ["400", "413", "422"]
    if op.query is not None:
        codes += ["400", "422"]
    if op.method != "GET" and authenticated:
        codes.append("409")
    return sorted(set(codes))


def _responses(op: Any) -> dict[str, Any]:
    responses: dict[str, Any] = {code: error_doc(ERRORS[code]) for code in _error_codes(op)}
    if op.produces:
        content = {media: {"schema": schema} for media, schema in op.produces.items()}
        responses[str(op.status)] = {"description": "OK", "content": content}
    elif op.response is None:
        if not op.doc_responses:
            responses[str(op.status if op.status != 200 else 204)] = {"description": "Done"}
    else:
        if op.paginated:
            schema = {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": op.response},
                    "next_cursor": {"type": "string", "nullable": True},
                },
            }
        else:
            schema = op.response
        responses[str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": schema}},
        }
    for code, answer in (op.doc_responses or {}).items():
        # A route's own words for a refusal; its body is the error envelope
        # unless the route says otherwise (416 and 304 have none).
        if code.startswith(("4", "5")) and code != "416":
            answer = {**answer, **error_doc(answer["description"])}
        responses[code] = answer
    return responses


_cache: dict[str, Any] = {}


@api.route("/openapi.json")
def openapi_json() -> Any:
    if "doc" not in _cache:
        _cache["doc"] = build_spec()
    return jsonify(_cache["doc"])


@api.route("/docs")
def docs_page() -> Any:
    # A page: the signed-in person of this browser (a page never takes tokens).
    g.page_user = g.get("user") if g.get("token_scopes") is None else None
    return render_template("api_docs.html")
