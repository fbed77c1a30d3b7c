"""The authorization matrix: every route of the app (REST, pages, feeds,
exports) × every kind of caller, each answered exactly as access_matrix.py
declares, and a refused write changes nothing.

A route the app serves without an entry in access_matrix.ROUTES fails
`test_every_route_has_a_declared_expectation`: a new route cannot be missed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.foundation.access_matrix import ROUTES, cases
from tests.foundation.access_rights import CALLERS, Case, expect, is_page
from tests.foundation.matrix_app import module_world, open_session
from tests.foundation.matrix_params import PATH_IDS
from tests.foundation.matrix_world import W_TITLE, World
from workspace.fields import MAX_ID

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
DEFAULT_PARAMS = {
    **PATH_IDS,
    "token_id": "token",
    "token": "token_unsubscribe",
    "comment_id": "comment",
    "suggestion_id": "suggestion",
}
GHOST_TASK = "export-" + "0" * 32


@pytest.fixture(scope="module")
def world(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from module_world(database_template, tmp_path_factory.mktemp("matrix"))


@functools.cache
def _scopes() -> dict[str, str | None]:
    """What each API route asks of a token (None: it takes no credentials)."""
    from workspace.http import OPERATIONS

    return {f"{op.method} /api/v1{op.rule}": op.scope for op in OPERATIONS}


def fill(rule: str, params: dict[str, Any], ghost: bool = False) -> str:
    def value(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if ghost and converter == "int":
            return str(MAX_ID)
        if ghost and name == "task_id":
            return GHOST_TASK
        return str(params[name])

    return PARAM.sub(value, rule)


def send(
    world: World, key: str, case: Case, caller: str, allowed: bool, ghost: bool = False
) -> Any:
    method, rule = key.split(" ", 1)
    params = {k: world.ids[v] for k, v in DEFAULT_PARAMS.items()}
    if case.params:
        params.update(case.params(world, caller))
    body = case.body(world, caller) if case.body else None
    if case.fresh and allowed and not ghost:
        fresh = case.fresh(world, caller)
        body = fresh.pop("_body", body)
        params.update(fresh)
    session = open_session(world, caller) if case.session == "own" else world.sessions[caller]
    headers = dict(session.headers)
    kwargs: dict[str, Any] = {"query_string": case.query(world, caller) if case.query else None}
    if is_page(key):
        if method == "POST":
            kwargs["data"] = {**(body or {}), "csrf_token": session.csrf}
    else:
        if method != "GET":
            headers["X-CSRF-Token"] = session.csrf
            if isinstance(body, dict) and "_multipart" in body:  # uploads
                kwargs.update(data=body["_multipart"], content_type="multipart/form-data")
            else:
                kwargs["json"] = body
    return session.client.open(fill(rule, params, ghost), method=method, headers=headers, **kwargs)


def _label(key: str, case: Case, caller: str) -> str:
    return f"{key}{f' [{case.label}]' if case.label else ''} as {caller}"


MATRIX = [(key, case, caller) for key, case in cases() for caller in CALLERS]


def test_every_route_has_a_declared_expectation(world: World) -> None:
    served = {
        f"{method} {rule.rule}"
        for rule in world.app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    missing = sorted(served - set(ROUTES))
    assert not missing, (
        "routes without a declared expectation: add them to "
        f"tests/foundation/access_matrix.py ROUTES: {missing}"
    )
    stale = sorted(set(ROUTES) - served)
    assert not stale, f"expectations for routes the app no longer serves: {stale}"


@pytest.mark.parametrize(("key", "case", "caller"), MATRIX, ids=[_label(*m) for m in MATRIX])
def test_route_answers_each_caller_as_declared(
    world: World, key: str, case: Case, caller: str
) -> None:
    expected = expect(key, case, caller, _scopes().get(key))
    allowed = expected == "ok"
    check_unchanged = not allowed and (case.writes or not key.startswith("GET "))
    if check_unchanged:
        before, last_event = world.fingerprint(), world.last_event_id()
    resp = send(world, key, case, caller, allowed)
    if allowed and case.restore:
        case.restore(world, caller)
    status = resp.status_code
    text = resp.get_data().decode("utf-8", "replace")
    what = f"{_label(key, case, caller)}: {status} {text[:300]}"
    error = {} if is_page(key) else (resp.get_json(silent=True) or {}).get("error") or {}

    if allowed:
        assert status in case.ok, f"expected {case.ok}; {what}"
    elif expected == "login":
        assert status == 302 and urlsplit(resp.headers["Location"]).path == "/login", what
    elif expected == "insufficient_scope":
        assert status == 403 and error.get("code") == "insufficient_scope", what
    else:
        assert status == expected, f"expected {expected}; {what}"
        if not is_page(key):
            # Refused for the right reason, not for a request built wrong.
            assert error.get("code") not in (
                None,
                "csrf_failed",
                "cross_site_request",
                "json_required",
                "insufficient_scope",
            ), what
    if status == 404:
        # Existence never leaks: the answer for a real row the caller may not
        # see is the answer for a row that does not exist.
        ghost = send(world, key, case, caller, allowed, ghost=True)
        assert ghost.status_code == 404, what
        if is_page(key):
            assert W_TITLE not in text, what
        else:
            assert resp.get_json() == ghost.get_json(), what
    if check_unchanged:
        assert world.events_by_people_after(last_event) == [], f"an event was recorded; {what}"
        after = world.fingerprint()
        changed = sorted(t for t in before if before[t] != after[t])
        assert not changed, f"refused, yet {changed} changed; {what}"
