"""Adding an existing member changes nothing; a role change is its own PATCH,
recorded as `member.role_changed`, and the last owner cannot be demoted."""

from __future__ import annotations


def _members(api, ws):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/members").get_json()["items"]
    return {m["user_id"]: m["role"] for m in items}


def _event_types(api, ws):
    return [
        e["type"] for e in api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    ]


def test_adding_an_existing_member_is_409_and_changes_nothing(api, make):
    ws = make.workspace()
    before, events_before = _members(api, ws), _event_types(api, ws)
    for body in (
        {"email": ws.partner.email, "role": "editor"},
        {"email": ws.partner.email.upper(), "role": "viewer"},
        {"user_id": ws.partner.id, "role": "editor"},
        {"user_id": ws.partner.id, "role": "owner"},
    ):
        resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/members", json=body)
        assert resp.status_code == 409, body
        err = resp.get_json()["error"]
        assert err["code"] == "already_member"
        assert "already a member" in err["message"] and ws.partner.name in err["message"]
    assert _members(api, ws) == before
    assert before[ws.partner.id] == "owner"
    assert _event_types(api, ws) == events_before


def test_owner_changes_a_role_explicitly_with_its_own_event(api, make):
    ws = make.workspace()
    helper = make.user(side="university", name="Helper Han")
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": helper.id, "role": "viewer"}
    )
    resp = api.as_(ws.owner).patch(
        f"/workspaces/{ws.id}/members/{helper.id}", json={"role": "editor"}
    )
    assert resp.status_code == 200
    assert resp.get_json()["role"] == "editor" and resp.get_json()["user_id"] == helper.id
    assert _members(api, ws)[helper.id] == "editor"
    last = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"][-1]
    assert last["type"] == "member.role_changed"
    assert last["data"]["role"] == "editor" and last["data"]["previous_role"] == "viewer"
    assert last["actor"]["id"] == ws.owner.id
    # The same role again is a no-op: no event.
    n = len(_event_types(api, ws))
    assert (
        api.as_(ws.owner)
        .patch(f"/workspaces/{ws.id}/members/{helper.id}", json={"role": "editor"})
        .status_code
        == 200
    )
    assert len(_event_types(api, ws)) == n
    assert api.as_(helper).get(f"/workspaces/{ws.id}").get_json()["my_role"] == "editor"


def test_who_may_change_roles_and_bad_input(api, make):
    ws = make.workspace()
    editor = make.user(side="enterprise")
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": editor.id, "role": "editor"}
    )
    manager = make.manager("Overseeing PM")
    path = f"/workspaces/{ws.id}/members/{ws.partner.id}"
    assert api.as_(editor).patch(path, json={"role": "viewer"}).status_code == 403
    assert api.as_(manager).patch(path, json={"role": "viewer"}).status_code == 403
    assert api.as_(make.user()).patch(path, json={"role": "viewer"}).status_code == 404
    bad = api.as_(ws.owner).patch(path, json={"role": "emperor"})
    assert bad.status_code == 422 and "role" in bad.get_json()["error"]["fields"]
    assert api.as_(ws.owner).patch(path, json={}).status_code == 422
    nobody = api.as_(ws.owner).patch(f"/workspaces/{ws.id}/members/999999", json={"role": "viewer"})
    assert nobody.status_code == 404
    assert _members(api, ws)[ws.partner.id] == "owner"


def test_the_last_owner_cannot_be_demoted(api, make):
    ws = make.workspace()
    assert (
        api.as_(ws.owner)
        .patch(f"/workspaces/{ws.id}/members/{ws.partner.id}", json={"role": "editor"})
        .status_code
        == 200
    )
    n = len(_event_types(api, ws))
    last = api.as_(ws.owner).patch(
        f"/workspaces/{ws.id}/members/{ws.owner.id}", json={"role": "viewer"}
    )
    assert last.status_code == 409
    assert last.get_json()["error"]["code"] == "last_owner"
    assert _members(api, ws)[ws.owner.id] == "owner"
    assert len(_event_types(api, ws)) == n


def test_openapi_lists_the_role_change(api, make):
    spec = api.as_(make.user()).get("/openapi.json").get_json()
    assert any(k.startswith("/workspaces") for k in spec["paths"])
    op = spec["paths"]["/workspaces/{workspace_id}/members/{user_id}"]["patch"]
    assert "409" in op["responses"]
    post = spec["paths"]["/workspaces/{workspace_id}/members"]["post"]
    assert "already_member" in post["responses"]["409"]["description"]
