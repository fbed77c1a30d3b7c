"""JSON a client sends, checked once before any schema sees it.

Two kinds of JSON parse fine yet break what comes after: a value nested
thousands of levels deep (Python's parser, marshmallow and every later
`json.dumps` recurse, and a `RecursionError` is a 500), and text holding a
lone surrogate (`"\\ud800"` is valid JSON, but not Unicode: no database,
mail or XML output can encode it). Both are refused here, for REST bodies and
Socket.IO payloads alike, so no handler meets them.

Query strings and form posts carry text percent-encoded: bytes that are not
UTF-8 there (`%ED%A0%80`, a surrogate's encoding, or `%FF`) are kept by
Werkzeug as the literal `%ED%A0%80`, which would be stored as if the client
meant it. `check_urlencoded` refuses them with the same 422.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from workspace.errors import BadRequest, ValidationFailed

# Deeper than any body of ours (trial parameters are the deepest: a few levels).
MAX_DEPTH = 32
SURROGATE_MESSAGE = "Not valid Unicode: contains a lone surrogate (U+D800..U+DFFF)."


def too_deep() -> BadRequest:
    return BadRequest(f"The JSON is nested more than {MAX_DEPTH} levels deep.",
                      code="json_too_deep")


def has_surrogate(text: str) -> bool:
    # Encoding is the fast test: only surrogates cannot be encoded as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse(raw: bytes | str) -> Any:
    """`json.loads` and `check`; a body that is not JSON is a 400."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Request body is not valid JSON.", code="invalid_json") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Refuse nesting past MAX_DEPTH (400) and text, keys included, that is not
    valid Unicode (422 naming the field, as a dotted path: `parameters.speed`,
    `0.metric`). Iterative, so the check itself cannot recurse too deep."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise too_deep()
        if isinstance(item, str):
            if has_surrogate(item):
                raise _invalid_text(path)
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and has_surrogate(key):
                    raise _invalid_text(path + (key.encode("utf-8", "replace").decode(),))
                stack.append((child, path + (str(key),)))
        elif isinstance(item, list | tuple):
            stack.extend((child, path + (str(i),)) for i, child in enumerate(item))


def _invalid_text(path: tuple[str, ...]) -> ValidationFailed:
    name = ".".join(path) or "_schema"
    return ValidationFailed("Some fields are invalid.", fields={name: [SURROGATE_MESSAGE]})


def check_urlencoded(raw: bytes, where: str = "") -> None:
    """Each name and value of `a=1&b=2` must be UTF-8 once percent-decoded;
    else a 422 naming the field (`where` prefixes it: `query.title`)."""
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        decoded_name = _utf8(name)
        if decoded_name is None or _utf8(value) is None:
            label = decoded_name if decoded_name is not None else \
                unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
            raise ValidationFailed("Some fields are invalid.", fields={
                f"{where}{label}": ["Not valid UTF-8 once percent-decoded."]})


def _utf8(part: bytes) -> str | None:
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def install(app: Any) -> None:
    """Refuse query strings and form bodies that are not UTF-8, on every route."""
    from flask import request

    @app.before_request
    def _urlencoded_is_utf8() -> None:
        if request.query_string:
            check_urlencoded(request.query_string)
        if request.mimetype == "application/x-www-form-urlencoded":
            # Cached: the form is then parsed from these same bytes.
            check_urlencoded(request.get_data(cache=True))
