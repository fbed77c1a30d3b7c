"""Admins give a manager a portfolio; the manager then reads only those
workspaces, through every REST list and read."""

from __future__ import annotations

from tests.portfolios.builders import milestone, portfolio, world


def test_manager_sees_only_the_portfolio_in_rest_lists_and_reads(make, api):
    w = world(make, api)
    pm = api.as_(w.manager)
    titles = {ws["title"] for ws in pm.get("/workspaces").get_json()["items"]}
    assert titles == {"Acme porosity", "Weld seams"}
    assert pm.get(f"/workspaces/{w.outside.id}").status_code == 404
    assert pm.get(f"/workspaces/{w.outside.id}/events").status_code == 404
    assert pm.get(f"/workspaces/{w.outside.id}/milestones").status_code == 404
    assert pm.get(f"/workspaces/{w.by_hand.id}").status_code == 200

    milestone(api, w.outside, "Hidden milestone")
    milestone(api, w.by_org, "Visible milestone")
    feed = pm.get("/feed?types=milestone.*").get_json()["items"]
    assert {e["workspace_id"] for e in feed} == {w.by_org.id}

    board = pm.get("/dashboard").get_json()
    assert {r["title"] for r in board["items"]} == {"Acme porosity", "Weld seams"}
    assert board["totals"]["workspaces"] == 2


def test_organization_portfolios_include_workspaces_created_later(make, api):
    w = world(make, api)
    later = make.workspace(title="Acme die wear", owner=make.user(org=w.acme))
    assert api.as_(w.manager).get(f"/workspaces/{later.id}").status_code == 200


def test_only_admins_assign_and_a_manager_reads_their_own(make, api):
    w = world(make, api)
    mine = api.as_(w.manager).get(f"/managers/{w.manager.id}/portfolio")
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["restricted"] is True and body["organization_ids"] == [w.acme.id]
    assert set(body["overseen_workspace_ids"]) == {w.by_org.id, w.by_hand.id}

    widen = api.as_(w.manager).put(
        f"/managers/{w.manager.id}/portfolio", json={"workspace_ids": [w.outside.id]}
    )
    assert widen.status_code == 403
    assert api.as_(w.manager).delete(f"/managers/{w.manager.id}/portfolio").status_code == 403
    other = make.manager("PM Wu")
    assert api.as_(w.manager).get(f"/managers/{other.id}/portfolio").status_code == 404
    assert api.as_(w.manager).get(f"/workspaces/{w.outside.id}").status_code == 404

    # Removing the portfolio gives the manager every workspace again.
    cleared = api.as_(w.admin).delete(f"/managers/{w.manager.id}/portfolio")
    assert cleared.status_code == 200 and cleared.get_json()["restricted"] is False
    assert api.as_(w.manager).get(f"/workspaces/{w.outside.id}").status_code == 200


def test_an_empty_portfolio_oversees_nothing(make, api):
    admin, manager = make.admin(), make.manager()
    ws = make.workspace()
    portfolio(api, admin, manager)
    assert api.as_(manager).get("/workspaces").get_json()["items"] == []
    assert api.as_(manager).get(f"/workspaces/{ws.id}").status_code == 404
    assert api.as_(manager).get("/dashboard").get_json()["items"] == []


def test_bad_portfolio_input_is_refused_and_changes_nothing(make, api):
    w = world(make, api)
    before = api.as_(w.admin).get(f"/managers/{w.manager.id}/portfolio").get_json()
    cases = [
        ({"organization_ids": [999999]}, 422, "organization_ids"),
        ({"workspace_ids": ["1"]}, 422, "workspace_ids"),
        ({"workspace_ids": 5}, 422, "workspace_ids"),
        ({"workspace_ids": list(range(6000))}, 422, "workspace_ids"),
    ]
    for body, status, field in cases:
        resp = api.as_(w.admin).put(f"/managers/{w.manager.id}/portfolio", json=body)
        assert resp.status_code == status, (body, resp.get_json())
        assert field in resp.get_json()["error"]["fields"]
    member = make.user(side="enterprise")
    resp = api.as_(w.admin).put(f"/managers/{member.id}/portfolio", json={})
    assert resp.status_code == 422
    assert api.as_(w.admin).put("/managers/999999/portfolio", json={}).status_code == 404
    raw = api.as_(w.admin).put(
        f"/managers/{w.manager.id}/portfolio", data="{", content_type="application/json"
    )
    assert raw.status_code == 400
    after = api.as_(w.admin).get(f"/managers/{w.manager.id}/portfolio").get_json()
    assert after == before


def test_portfolio_routes_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "put", "delete"} <= set(doc["paths"]["/managers/{user_id}/portfolio"])
    for path in (
        "/dashboard",
        "/feed.atom",
        "/milestones.ics",
        "/exports",
        "/milestones/{milestone_id}/evidence.pdf",
        "/milestones/{milestone_id}/funding",
    ):
        assert path in doc["paths"], path
