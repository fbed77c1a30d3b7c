"""Builders for the portfolio tests, through the real API and services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.trials.factory import GOOD, add_indicators, run_trial  # noqa: F401


def milestone(
    api: Any, ws: Any, title: str, due_in_days: int | None = 10, criteria: dict | None = None
) -> dict:
    due = None if due_in_days is None else (date.today() + timedelta(days=due_in_days)).isoformat()
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones",
        json={"title": title, "due_date": due, "criteria": criteria},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def reach(api: Any, ws: Any, milestone_id: int) -> dict:
    resp = api.as_(ws.owner).post(f"/milestones/{milestone_id}/reach")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def portfolio(api: Any, admin: Any, manager: Any, orgs: tuple = (), workspaces: tuple = ()) -> dict:
    resp = api.as_(admin).put(
        f"/managers/{manager.id}/portfolio",
        json={
            "organization_ids": [o.id for o in orgs],
            "workspace_ids": [w.id for w in workspaces],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def world(make: Any, api: Any) -> Any:
    """Three workspaces; a manager overseeing two: one by its enterprise, one by hand."""
    admin = make.admin()
    acme = make.org("enterprise", "Acme Castings")
    by_org = make.workspace(title="Acme porosity", owner=make.user(org=acme, name="Acme Lead"))
    by_hand = make.workspace(title="Weld seams")
    outside = make.workspace(title="Secret furnace")
    manager = make.manager("PM Li")
    portfolio(api, admin, manager, orgs=(acme,), workspaces=(by_hand,))

    class World:
        pass

    w = World()
    w.admin, w.acme, w.by_org, w.by_hand, w.outside, w.manager = (
        admin,
        acme,
        by_org,
        by_hand,
        outside,
        manager,
    )
    return w


def agree_statement(api: Any, ws: Any) -> None:
    """Both leads approve a version of the problem statement (documents API)."""
    docs = api.as_(ws.owner).get(f"/workspaces/{ws.id}/documents")
    assert docs.status_code == 200, docs.get_json()
    statement = [d for d in docs.get_json()["items"] if d["kind"] == "problem_statement"]
    assert len(statement) == 1, "every workspace starts with its problem statement"
    doc_id = statement[0]["id"]
    version = api.as_(ws.owner).post(f"/documents/{doc_id}/versions", json={"label": "v1"})
    assert version.status_code == 201, version.get_json()
    vid = version.get_json()["id"]
    for lead in (ws.owner, ws.partner):
        resp = api.as_(lead).post(f"/documents/{doc_id}/versions/{vid}/approve")
        assert resp.status_code == 200, resp.get_json()
