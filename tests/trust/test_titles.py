"""Titles, labels and names are trimmed and must show something (422 naming the
field, nothing stored); a 200-character unbroken title wraps instead of making
the page scroll sideways."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from marshmallow import Schema

import workspace
from tests.conftest import browser_login
from tests.trials.factory import trial
from workspace.fields import TrimmedString

BLANKS = ("   ", "\u3000\u3000", "\t\n", "\u200b", " \u200b\u00a0 ")


def _schemas():
    for mod in pkgutil.walk_packages(workspace.__path__, "workspace."):
        if mod.name.endswith(("schemas", ".fields")):
            importlib.import_module(mod.name)
    seen, todo = set(), list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("workspace.")]


def test_every_title_label_and_name_people_send_is_trimmed():
    """Generated from the schemas: any request schema's title, label or name."""
    checked = []
    for cls in _schemas():
        if not cls.__name__.endswith(("CreateSchema", "UpdateSchema")):
            continue
        for name, field in cls._declared_fields.items():
            if name in ("title", "label", "name"):
                assert isinstance(field, TrimmedString), f"{cls.__name__}.{name}"
                checked.append(f"{cls.__name__}.{name}")
    assert len(checked) >= 8, checked


def _cases(api, ws):
    ms = api.as_(ws.owner).post(f"/workspaces/{ws.id}/milestones", json={"title": "M1"}).get_json()
    ind = (
        api.as_(ws.owner)
        .post(
            f"/workspaces/{ws.id}/indicators",
            json={
                "key": "yield_pct",
                "label": "Yield",
                "unit": "%",
                "comparator": ">=",
                "target": 95,
            },
        )
        .get_json()
    )
    return [
        (
            "POST",
            "/workspaces",
            "title",
            {"summary": "s", "enterprise_id": ws.enterprise_id, "university_id": ws.university_id},
            "/workspaces",
        ),
        ("PATCH", f"/workspaces/{ws.id}", "title", {}, f"/workspaces/{ws.id}"),
        (
            "POST",
            f"/workspaces/{ws.id}/documents",
            "title",
            {"text": "x"},
            f"/workspaces/{ws.id}/documents",
        ),
        ("POST", f"/workspaces/{ws.id}/milestones", "title", {}, f"/workspaces/{ws.id}/milestones"),
        ("PATCH", f"/milestones/{ms['id']}", "title", {}, f"/workspaces/{ws.id}/milestones"),
        (
            "POST",
            f"/workspaces/{ws.id}/indicators",
            "label",
            {"key": "tensile", "comparator": ">=", "target": 1},
            f"/workspaces/{ws.id}/indicators",
        ),
        ("PATCH", f"/indicators/{ind['id']}", "label", {}, f"/workspaces/{ws.id}/indicators"),
        ("POST", "/me/tokens", "name", {"scopes": ["read"]}, "/me/tokens"),
    ]


def test_blank_titles_are_422_naming_the_field_and_change_nothing(api, make):
    admin = make.admin()
    ws = make.workspace()
    caller = api.as_(admin)
    for method, path, field, body, listing in _cases(api, ws):
        before = caller.get(listing).get_json() if listing != "/me/tokens" else None
        for blank in BLANKS:
            resp = getattr(caller, method.lower())(path, json={**body, field: blank})
            assert resp.status_code == 422, (path, field, repr(blank), resp.get_json())
            err = resp.get_json()["error"]
            assert err["code"] == "validation_failed"
            assert field in err["fields"], (path, err)
        if before is not None:
            assert caller.get(listing).get_json() == before, path
    org = caller.post("/organizations", json={"name": " ", "kind": "enterprise"})
    assert org.status_code == 422 and "name" in org.get_json()["error"]["fields"]


def test_titles_are_stored_trimmed(api, make):
    ws = make.workspace()
    owner = api.as_(ws.owner)
    assert (
        owner.patch(f"/workspaces/{ws.id}", json={"title": "  压铸 攻关 \u3000"}).get_json()[
            "title"
        ]
        == "压铸 攻关"
    )
    doc = owner.post(f"/workspaces/{ws.id}/documents", json={"title": "\tAnswer B \n"})
    assert doc.status_code == 201 and doc.get_json()["title"] == "Answer B"
    t = owner.post(f"/workspaces/{ws.id}/trials", json={"title": "   "})
    # A trial may be untitled (shown by its number): blanks mean no title.
    assert t.status_code == 201 and t.get_json()["title"] == ""
    v = owner.post(f"/documents/{doc.get_json()['id']}/versions", json={"label": "  "})
    assert v.status_code == 201 and v.get_json()["label"] == "v1"


@pytest.mark.parametrize("path_of", ["workspace", "document", "trials", "list"])
def test_long_unbroken_title_wraps(make, api, live_server, browser_context, path_of):
    ws = make.workspace()
    long = "压铸" + "X" * 198
    owner = api.as_(ws.owner)
    owner.patch(f"/workspaces/{ws.id}", json={"title": long})
    doc = owner.post(f"/workspaces/{ws.id}/documents", json={"title": long}).get_json()
    trial(api, ws, "planned", title=long)
    owner.post(f"/workspaces/{ws.id}/milestones", json={"title": long})
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.set_viewport_size({"width": 1024, "height": 800})
    path = {
        "workspace": f"/workspaces/{ws.id}",
        "document": f"/documents/{doc['id']}",
        "trials": f"/workspaces/{ws.id}/trials",
        "list": "/workspaces",
    }[path_of]
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    assert page.get_by_text(long).first.is_visible()
    sw, cw = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sw <= cw, (path, sw, cw)
