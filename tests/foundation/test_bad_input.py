"""Bad input gets a 4xx with the error envelope and changes nothing; nothing gives 500.

Walks every route the OpenAPI document lists, so a route added later is
covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_cookie
from tests.portfolios.builders import world
from workspace.http import OPERATIONS

BIG = "99999999999999999999"
BODIES = [
    b"{not json",
    b"[]",
    b'"a string"',
    b"null",
    b'{"title": 5, "name": [], "user_id": "1", "role": {}, "limit": "x"}',
    b'{"title": "' + b"x" * 5000 + b'"}',
    b'{"text": 12, "events": "x", "url": 3, "value": "NaN", "metric": null}',
    b"\xff\xfe\x00",
    # Numbers no column can hold (PostgreSQL integer ends at 2^31, SQLite at 2^63).
    b'{"user_id": %(big)s, "enterprise_id": %(big)s, "university_id": %(big)s, '
    b'"parent_id": %(big)s, "indicator_id": %(big)s, "workspace_ids": [%(big)s], '
    b'"organization_ids": [%(big)s], "version_id": %(big)s, "limit": %(big)s}'
    % {b"big": BIG.encode()},
]
QUERIES = [
    "",
    "?limit=0",
    "?limit=abc&cursor=-1",
    "?after=-5&types=nope.*",
    "?cursor=zz",
    f"?after={BIG}&cursor={BIG}&organization_id={BIG}&workspace_id={BIG}",
]


def _snapshot(client, make, ws):
    headers = {"Authorization": f"Bearer {make.token(ws.owner, ('read',))}"}
    return client.get(f"/api/v1/workspaces/{ws.id}/events", headers=headers).get_json()


@pytest.mark.parametrize("ids", [("own",), ("missing",), ("huge",)])
def test_every_route_answers_garbage_with_4xx_envelope(client, make, ids):
    ws = make.workspace()
    token = make.token(ws.owner, ("read", "write"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    before = _snapshot(client, make, ws)
    the_id = {("own",): ws.id, ("missing",): 987654, ("huge",): BIG}[ids]
    # Routes without a body do their thing whatever the body says (a DELETE
    # deletes); only routes that parse a body must refuse all of these.
    for op in [o for o in OPERATIONS if o.body is not None or o.method == "GET"]:
        path = "/api/v1" + re.sub(r"<(?:\w+:)?\w+>", str(the_id), op.rule)
        for body in BODIES if op.method != "GET" else [None]:
            for query in QUERIES if op.method == "GET" else [""]:
                res = client.open(path + query, method=op.method, data=body, headers=headers)
                assert res.status_code < 500, (op.method, path, query, body, res.data[:300])
                if res.status_code >= 400:
                    err = res.get_json()["error"]
                    assert err["code"] and err["message"], (op.method, path)
    after = _snapshot(client, make, ws)
    assert after == before, "a refused request changed the workspace's log"


def test_field_errors_name_the_fields(api, make):
    manager = make.manager()
    res = api.as_(manager).post("/workspaces", json={"title": "", "enterprise_id": "1"})
    assert res.status_code == 422
    fields = res.get_json()["error"]["fields"]
    assert {"title", "enterprise_id", "university_id"} <= set(fields)
    long = api.as_(manager).post(
        "/workspaces", json={"title": "长" * 201, "enterprise_id": 1, "university_id": 2}
    )
    assert long.status_code == 422
    assert "200" in long.get_json()["error"]["fields"]["title"][0]


def test_openapi_lists_every_route_and_the_limits(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    listed = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for op in OPERATIONS:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.rule)
        assert (op.method, path) in listed
    assert "1 MB" in doc["info"]["description"] and "10,000" in doc["info"]["description"]
    title = doc["components"]["schemas"]["WorkspaceCreate"]["properties"]["title"]
    assert title["maxLength"] == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_numbers_no_column_can_hold_get_a_4xx(api, make):
    """Every query field and path id set to 10^20, one at a time: a 404 or 422
    envelope (or the answer, where a field cannot matter), never an overflow
    surfacing as a 500 (PostgreSQL and SQLite alike)."""
    ws = make.workspace()
    owner = api.as_(ws.owner)
    for op in [o for o in OPERATIONS if o.method == "GET"]:
        own = re.sub(r"<(?:\w+:)?\w+>", str(ws.id), op.rule)
        huge = re.sub(r"<(?:\w+:)?\w+>", BIG, op.rule)
        tries = [huge] if huge != op.rule else []
        tries += [f"{own}?{name}={BIG}" for name in (op.query.fields if op.query else ())]
        for path in tries:
            res = owner.get(path)
            assert res.status_code < 500, (path, res.data[:200])
            if res.status_code >= 400:
                assert res.get_json()["error"]["message"], path


PAGE_QUERIES = [
    "?sort=nope&order=sideways&limit=abc&cursor=-1&ids=a,b&from=2026-13-45&to=yesterday"
    "&q=%00&status=zz&organization_id=x&overdue=maybe&workspace_id=0&metric=%ff",
    f"?limit={BIG}&cursor={BIG}&organization_id={BIG}&workspace_id={BIG}&ids={BIG}"
    "&from=99999-01-01",
]


def test_every_page_answers_garbage_queries_without_a_500(live_server, make, api):
    """The HTML pages a manager can open, with nonsense and huge query values."""
    w = world(make, api)
    session, _csrf = login_cookie(live_server.url, w.manager)
    rules = [
        r.rule
        for r in live_server.app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and not r.rule.startswith(("/api/", "/static/"))
    ]
    assert len(rules) > 10
    for rule in rules:
        path = re.sub(r"<int:\w+>", str(w.by_org.id), rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        for query in PAGE_QUERIES:
            res = session.get(live_server.url + path + query, timeout=30)
            assert res.status_code < 500, (path, query, res.text[:300])
