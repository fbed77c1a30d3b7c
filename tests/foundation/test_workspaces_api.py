"""Workspaces, members and who may do what."""

from __future__ import annotations


def test_manager_creates_workspace_for_a_match_and_kinds_are_checked(api, make):
    manager = make.manager()
    ent, uni = make.org("enterprise"), make.org("university")
    wrong = api.as_(manager).post(
        "/workspaces", json={"title": "t", "enterprise_id": uni.id, "university_id": ent.id}
    )
    assert wrong.status_code == 422
    assert set(wrong.get_json()["error"]["fields"]) == {"enterprise_id"}
    made = api.as_(manager).post(
        "/workspaces",
        json={
            "title": "压铸气孔攻关",
            "summary": "s",
            "enterprise_id": ent.id,
            "university_id": uni.id,
        },
    )
    assert made.status_code == 201
    ws = made.get_json()
    assert ws["status"] == "active" and ws["my_role"] is None
    assert ws["enterprise_id"] == ent.id and ws["university_id"] == uni.id
    member = make.user(org=ent)
    assert (
        api.as_(member)
        .post("/workspaces", json={"title": "t", "enterprise_id": ent.id, "university_id": uni.id})
        .status_code
        == 403
    )
    events = api.as_(manager).get(f"/workspaces/{ws['id']}/events").get_json()["items"]
    assert [e["type"] for e in events] == ["workspace.created"]


def test_members_roles_and_sides(api, make):
    ws = make.workspace()
    viewer = make.user(side="university")
    added = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/members", json={"user_id": viewer.id, "role": "viewer"}
    )
    assert added.status_code == 201
    members = api.as_(viewer).get(f"/workspaces/{ws.id}/members").get_json()["items"]
    sides = {m["name"]: (m["role"], m["side"]) for m in members}
    assert sides["Enterprise Lead"] == ("owner", "enterprise")
    assert sides["University Lead"] == ("owner", "university")
    assert sides[viewer.name] == ("viewer", "university")
    # Viewers read but do not manage; the last owner cannot be removed... there are two.
    assert api.as_(viewer).patch(f"/workspaces/{ws.id}", json={"title": "x"}).status_code == 403
    assert (
        api.as_(viewer)
        .post(f"/workspaces/{ws.id}/members", json={"user_id": viewer.id, "role": "owner"})
        .status_code
        == 403
    )
    assert api.as_(ws.owner).delete(f"/workspaces/{ws.id}/members/{viewer.id}").status_code == 204
    assert api.as_(viewer).get(f"/workspaces/{ws.id}").status_code == 404
    assert (
        api.as_(ws.owner).delete(f"/workspaces/{ws.id}/members/{ws.partner.id}").status_code == 204
    )
    last = api.as_(ws.owner).delete(f"/workspaces/{ws.id}/members/{ws.owner.id}")
    assert last.status_code == 409


def test_non_members_get_404_for_everything_inside(api, make):
    ws = make.workspace()
    outsider = make.user(side="enterprise")
    for path in (
        f"/workspaces/{ws.id}",
        f"/workspaces/{ws.id}/members",
        f"/workspaces/{ws.id}/events",
    ):
        res = api.as_(outsider).get(path)
        assert res.status_code == 404, path
        assert res.get_json()["error"]["code"] == "not_found"
    assert api.as_(outsider).patch(f"/workspaces/{ws.id}", json={"title": "x"}).status_code == 404
    assert ws.id not in [w["id"] for w in api.as_(outsider).get("/workspaces").get_json()["items"]]
    assert api.as_(outsider).get("/workspaces/999999").status_code == 404


def test_managers_read_everything_and_change_nothing_but_members(api, make):
    ws = make.workspace()
    other_manager = make.manager("Another PM")
    assert api.as_(other_manager).get(f"/workspaces/{ws.id}").get_json()["my_role"] is None
    assert (
        api.as_(other_manager).patch(f"/workspaces/{ws.id}", json={"status": "paused"}).status_code
        == 403
    )
    newcomer = make.user(side="university")
    assert (
        api.as_(other_manager)
        .post(f"/workspaces/{ws.id}/members", json={"user_id": newcomer.id, "role": "editor"})
        .status_code
        == 201
    )
    assert api.as_(newcomer).get(f"/workspaces/{ws.id}").get_json()["my_role"] == "editor"


def test_lists_paginate_with_a_cursor(api, make):
    admin = make.admin()
    for _ in range(5):
        make.org()
    first = api.as_(admin).get("/organizations?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.as_(admin).get(f"/organizations?limit=2&cursor={first['next_cursor']}").get_json()
    assert second["items"][0]["id"] > first["items"][-1]["id"]
    ids, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = api.as_(admin).get("/organizations?limit=2" + suffix)
        body = page.get_json()
        ids += [o["id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert ids == sorted(set(ids)) and len(ids) >= 5
