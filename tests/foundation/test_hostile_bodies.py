"""Bodies built to break the server, sent to every API route that reads one,
generated from the route table (access_matrix.ROUTES) so a new route is covered:

- an invalid body is answered after access is decided (SPEC v1.1): each
  caller gets what the matrix declares for it (404 for a non-member, 403 for
  a reader without the right...), and only a caller who may call the route
  learns that the body is wrong;
- JSON nested too deeply is a 400 `json_too_deep`, never a 500;
- text that is not valid Unicode (a lone surrogate) is a 422 naming the field;
and each is refused without changing anything or setting a cookie on a
bearer call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.foundation.access_matrix import cases
from tests.foundation.access_rights import CALLERS, TOKENS, Case, expect
from tests.foundation.matrix_app import module_world, open_session
from tests.foundation.matrix_world import World
from tests.foundation.test_access_matrix import DEFAULT_PARAMS, _scopes, fill

SURROGATE = "x\ud800y"
DEEP = "[" * 100_000 + "]" * 100_000
# Parses, but deeper than any body of ours: refused before a schema sees it.
NESTED = '{"title": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"


@pytest.fixture(scope="module")
def world(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from module_world(database_template, tmp_path_factory.mktemp("hostile"))


def _routes_with_body(multipart: bool) -> list[tuple[str, Case]]:
    """API routes that read a JSON body, and with `multipart` the uploads."""
    from workspace.bootstrap import build_house
    from workspace.http import OPERATIONS

    build_house()  # imports every capability's route modules

    reads_json = {
        f"{op.method} /api/v1{op.rule}"
        for op in OPERATIONS
        if op.body is not None
        or (
            op.doc_body is not None
            and (multipart or not isinstance(op.doc_body, dict) or "content" not in op.doc_body)
        )
    }
    return [(key, case) for key, case in cases() if key in reads_json]


ROUTES_WITH_BODY = _routes_with_body(multipart=False)
ROUTES_WITH_ANY_BODY = _routes_with_body(multipart=True)
BODY_MATRIX = [(key, case, caller) for key, case in ROUTES_WITH_ANY_BODY for caller in CALLERS]
UPLOADS = {key for key, _case in ROUTES_WITH_ANY_BODY} - {key for key, _case in ROUTES_WITH_BODY}


def _cases_of(key: str) -> list[Case]:
    return [case for k, case in ROUTES_WITH_ANY_BODY if k == key]


def _id(key: str, case: Case) -> str:
    return f"{key}{f' [{case.label}]' if case.label else ''}"


def _session(world: World, case: Case, caller: str) -> Any:
    # Login and a password change replace or end sessions: they run in one of
    # their own, so the shared ones live on.
    return open_session(world, caller) if case.session == "own" else world.sessions[caller]


def _send(world: World, key: str, case: Case, caller: str, raw: str | bytes, session: Any) -> Any:
    """The route called as the caller (with its CSRF token or bearer header)
    with `raw` as the JSON body; nothing fresh is made, so a refused call
    acts on the world's shared rows."""
    method, rule = key.split(" ", 1)
    params = {k: world.ids[v] for k, v in DEFAULT_PARAMS.items()}
    if case.params:
        params.update(case.params(world, caller))
    headers = {**session.headers, "Content-Type": "application/json"}
    if session.csrf:
        headers["X-CSRF-Token"] = session.csrf
    return session.client.open(fill(rule, params), method=method, headers=headers, data=raw)


def _holder(case: Case) -> str:
    """A caller the route lets through, to see what the body alone gets."""
    from tests.foundation.access_rights import RIGHTS

    holders = RIGHTS[case.right].holders
    for caller in ("owner", "editor", "admin", "manager_in", "viewer", "anonymous"):
        if caller in holders:
            return caller
    raise AssertionError(f"nobody holds {case.right}")


def _unchanged(world: World) -> Any:
    before, last = world.fingerprint(), world.last_event_id()

    def check(what: str) -> None:
        assert world.events_by_people_after(last) == [], f"an event was recorded; {what}"
        after = world.fingerprint()
        changed = sorted(t for t in before if before[t] != after[t])
        assert not changed, f"refused, yet {changed} changed; {what}"

    return check


@pytest.mark.parametrize(
    ("key", "case", "caller"),
    BODY_MATRIX,
    ids=[f"{_id(k, c)} as {who}" for k, c, who in BODY_MATRIX],
)
def test_invalid_body_is_answered_after_access(
    world: World, key: str, case: Case, caller: str
) -> None:
    # A route with several cases (a milestone's title or its status) lets
    # through whoever holds any of their rights: only they hear about the body.
    answers = [expect(key, other, caller, _scopes().get(key)) for other in _cases_of(key)]
    expected = "ok" if "ok" in answers else answers[0]
    session = _session(world, case, caller)
    unchanged = _unchanged(world)
    resp = _send(world, key, case, caller, json.dumps("not an object"), session)
    what = f"{_id(key, case)} as {caller}: {resp.status_code} {resp.get_data()[:300]!r}"
    error = (resp.get_json(silent=True) or {}).get("error") or {}
    if expected == "ok":
        # A route that takes a file refuses a JSON body as not a form; every
        # other route reads JSON, and a string is not the object it expects.
        if key in UPLOADS:
            assert (resp.status_code, error.get("code")) == (400, "not_multipart"), what
        else:
            assert (resp.status_code, error.get("code")) == (422, "validation_failed"), what
    elif expected == "insufficient_scope":
        assert resp.status_code == 403 and error.get("code") == "insufficient_scope", what
    else:
        assert resp.status_code == expected, f"expected {expected}; {what}"
    if caller in TOKENS:  # SPEC v1.1: a bearer call is stateless
        assert "Set-Cookie" not in resp.headers, what
    unchanged(what)


@pytest.mark.parametrize(
    ("key", "case"), ROUTES_WITH_BODY, ids=[_id(k, c) for k, c in ROUTES_WITH_BODY]
)
def test_deeply_nested_json_is_a_400(world: World, key: str, case: Case) -> None:
    caller = _holder(case)
    session = _session(world, case, caller)
    unchanged = _unchanged(world)
    for raw in (DEEP, NESTED):
        resp = _send(world, key, case, caller, raw, session)
        what = f"{_id(key, case)} as {caller}: {resp.status_code} {resp.get_data()[:300]!r}"
        assert resp.status_code == 400, what
        assert resp.get_json()["error"]["code"] == "json_too_deep", what
        assert "32 levels" in resp.get_json()["error"]["message"], what
    unchanged(what)


def _with_surrogates(body: Any) -> list[tuple[str, Any]]:
    """(field path, the body with that one text made invalid Unicode) for each
    text in a valid body; a body without text gets a `title` that has one."""
    variants: list[tuple[str, Any]] = []
    if isinstance(body, dict):
        for name, value in body.items():
            if isinstance(value, str):
                variants.append((name, {**body, name: SURROGATE}))
        if not variants:
            variants.append(("title", {**body, "title": SURROGATE}))
    elif isinstance(body, list):
        for path, variant in _with_surrogates(body[0]):
            variants.append((f"0.{path}", [variant, *body[1:]]))
    return variants


@pytest.mark.parametrize(
    ("key", "case"), ROUTES_WITH_BODY, ids=[_id(k, c) for k, c in ROUTES_WITH_BODY]
)
def test_lone_surrogate_is_a_422_naming_the_field(world: World, key: str, case: Case) -> None:
    caller = _holder(case)
    session = _session(world, case, caller)
    unchanged = _unchanged(world)
    for field, body in _with_surrogates(case.body(world, caller)):
        # ensure_ascii writes the surrogate as the escape `\ud800`: valid JSON.
        resp = _send(world, key, case, caller, json.dumps(body), session)
        what = f"{_id(key, case)} {field}: {resp.status_code} {resp.get_data()[:300]!r}"
        assert resp.status_code == 422, what
        assert field in resp.get_json()["error"]["fields"], what
    unchanged(what)
