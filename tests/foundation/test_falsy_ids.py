"""An id of 0 (falsy, but given) or one no column can hold is a 422 naming the
field, and changes nothing: never a 500, never taken for "not given"."""

from __future__ import annotations

import pytest

from tests.portfolios.builders import world

BAD_IDS = [0, -1, 2**31, 2**53]


def _members(api, ws):
    return sorted(
        m["user_id"]
        for m in api.as_(ws.owner).get(f"/workspaces/{ws.id}/members").get_json()["items"]
    )


@pytest.mark.parametrize("bad", BAD_IDS)
def test_adding_member_zero_is_a_422_not_the_email_path(make, api, bad):
    ws = make.workspace()
    before = _members(api, ws)
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": bad, "role": "viewer"}
    )
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "validation_failed"
    assert "user_id" in resp.get_json()["error"]["fields"]
    assert _members(api, ws) == before
    # Both given is still refused, whatever the id.
    both = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members",
        json={"user_id": bad, "email": ws.partner.email, "role": "viewer"},
    )
    assert both.status_code == 422 and _members(api, ws) == before


def test_the_email_path_still_works(make, api):
    ws = make.workspace()
    newcomer = make.user(name="Newcomer")
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"email": newcomer.email.upper(), "role": "viewer"}
    )
    assert resp.status_code == 201 and resp.get_json()["user_id"] == newcomer.id


@pytest.mark.parametrize("bad", BAD_IDS)
def test_every_id_in_a_body_is_checked_against_its_range(make, api, bad):
    """The same class elsewhere: ids given in bodies and queries."""
    w = world(make, api)
    admin = api.as_(w.admin)
    ws = w.by_org
    owner = api.as_(ws.owner)
    calls = [
        (
            admin.post,
            "/users",
            {
                "email": "x@example.test",
                "name": "X",
                "password": "long enough",
                "organization_id": bad,
            },
            "organization_id",
        ),
        (
            admin.post,
            "/workspaces",
            {"title": "T", "enterprise_id": bad, "university_id": w.acme.id},
            "enterprise_id",
        ),
        (
            admin.post,
            "/workspaces",
            {"title": "T", "enterprise_id": w.acme.id, "university_id": bad},
            "university_id",
        ),
        (owner.post, f"/workspaces/{ws.id}/trials", {"title": "T", "parent_id": bad}, "parent_id"),
        (
            admin.put,
            f"/managers/{w.manager.id}/portfolio",
            {"organization_ids": [bad]},
            "organization_ids",
        ),
        (
            admin.put,
            f"/managers/{w.manager.id}/portfolio",
            {"workspace_ids": [bad]},
            "workspace_ids",
        ),
        (admin.post, "/exports", {"format": "csv", "organization_id": bad}, "organization_id"),
        (
            owner.post,
            f"/workspaces/{ws.id}/milestones",
            {"title": "M", "criteria": {"indicators": [bad], "consecutive_trials": 1}},
            "criteria",
        ),
    ]
    before = admin.get("/feed?after=0").get_json()["items"]
    for call, path, body, field in calls:
        resp = call(path, json=body)
        assert resp.status_code == 422, (path, body, resp.get_json())
        assert field in resp.get_json()["error"]["fields"], (path, resp.get_json())
    assert admin.get("/feed?after=0").get_json()["items"] == before
    assert api.as_(w.manager).get(f"/managers/{w.manager.id}/portfolio").status_code == 200
    assert admin.get("/users").get_json()["items"] == admin.get("/users").get_json()["items"]
    resp = api.as_(w.manager).get(f"/dashboard?organization_id={2**31 if bad > 0 else bad}")
    assert resp.status_code == 422 and "organization_id" in resp.get_json()["error"]["fields"]
