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
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request

from workspace.errors import BadRequest, ValidationFailed

# Deeper than any body of ours (trial parameters are the deepest: a few levels).
MAX_DEPTH = 32
SURROGATE_MESSAGE = "Not valid Unicode: contains a lone surrogate (U+D800..U+DFFF)."


def too_deep() -> BadRequest:
    return BadRequest(
        f"The JSON is nested more than {MAX_DEPTH} levels deep.", code="json_too_deep"
    )


def has_surrogate(text: str) -> bool:
    # Encoding is the fast test: only surrogates cannot be encoded as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# A lone surrogate reaches a parsed value only through a `\\uD800`-style
# escape, or through bytes that are not strict UTF-8 (json.loads decodes
# with surrogatepass). A body free of both cannot hold one.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def parse(raw: bytes | str) -> Any:
    """`json.loads` and `check`; a body that is not JSON is a 400."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Request body is not valid JSON.", code="invalid_json") from None
    check(value, text_checked=isinstance(raw, bytes) and _plain_utf8(raw))
    return value


def _plain_utf8(raw: bytes) -> bool:
    if SURROGATE_ESCAPE.search(raw) is not None:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_CONTAINERS = (dict, list, tuple)


def check(value: Any, *, text_checked: bool = False) -> None:
    """Refuse nesting past MAX_DEPTH (400) and text, keys included, that is not
    valid Unicode (422 naming the field, as a dotted path: `parameters.speed`,
    `0.metric`). Iterative, so the check itself cannot recurse too deep.
    `text_checked`: the raw text was shown to hold no lone surrogate, so only
    the depth is left to check. Paths are built only for an error: a batch of
    10,000 measurements is mostly scalars, visited once each."""
    if text_checked:
        _check_depth(value)
        return
    if isinstance(value, str):
        if has_surrogate(value):
            raise _invalid_text(())
        return
    # (container, depth, where: (parent's where, key) or None at the top)
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict):
            pairs: Any = item.items()
        elif isinstance(item, list | tuple):
            pairs = enumerate(item)
        else:
            continue
        if depth > MAX_DEPTH or (depth == MAX_DEPTH and item):
            raise too_deep()
        for key, child in pairs:
            if isinstance(key, str) and has_surrogate(key):
                raise _invalid_text(_path(where) + (key.encode("utf-8", "replace").decode(),))
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1, (where, key)))
            elif isinstance(child, str) and has_surrogate(child):
                raise _invalid_text(_path((where, key)))


_JSON_CONTAINERS = frozenset((dict, list))


def _check_depth(value: Any) -> None:
    """`check`'s depth rule for what `json.loads` returns (only dicts and lists
    nest), a level at a time: a batch of 10,000 small objects is 10,000
    C-level scans of their values, not 30,000 Python steps."""
    level = [value] if type(value) in _JSON_CONTAINERS else []
    depth = 0
    while level:
        if depth > MAX_DEPTH or (depth == MAX_DEPTH and any(level)):
            raise too_deep()
        deeper: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            if not _JSON_CONTAINERS.isdisjoint(map(type, children)):
                deeper.extend(c for c in children if type(c) in _JSON_CONTAINERS)
        level = deeper
        depth += 1


def _path(where: Any) -> tuple[str, ...]:
    keys: list[str] = []
    while where is not None:
        where, key = where
        keys.append(str(key))
    return tuple(reversed(keys))


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
            label = (
                decoded_name
                if decoded_name is not None
                else unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
            )
            raise ValidationFailed(
                "Some fields are invalid.",
                fields={f"{where}{label}": ["Not valid UTF-8 once percent-decoded."]},
            )


def _utf8(part: bytes) -> str | None:
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def install(app: Any) -> None:
    """Refuse query strings and form bodies that are not UTF-8, on every route."""

    @app.before_request
    def _urlencoded_is_utf8() -> None:
        if request.query_string:
            check_urlencoded(request.query_string)
        if request.mimetype == "application/x-www-form-urlencoded":
            # Cached: the form is then parsed from these same bytes.
            check_urlencoded(request.get_data(cache=True))
