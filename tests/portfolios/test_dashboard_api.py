"""`GET /dashboard`: one row per overseen workspace with its progress, filters,
sorting and search, in a constant number of queries."""

from __future__ import annotations

import threading

from sqlalchemy import event

from tests.portfolios.builders import (
    GOOD,
    add_indicators,
    agree_statement,
    milestone,
    reach,
    run_trial,
    world,
)
from tests.trials.factory import trial


def _row(board: dict, title: str) -> dict:
    return next(r for r in board["items"] if r["title"] == title)


def test_rows_show_parties_progress_trial_and_next_milestone(make, api):
    w = world(make, api)
    ws = w.by_org
    late = milestone(api, ws, "Pilot line set up", due_in_days=-3)
    milestone(api, ws, "Scrap below 1.5%", due_in_days=5)
    milestone(api, ws, "Report", due_in_days=30)
    done = milestone(api, ws, "Kick-off", due_in_days=-10)
    reach(api, ws, done["id"])
    add_indicators(api, ws)
    run_trial(api, ws, GOOD)

    board = api.as_(w.manager).get("/dashboard").get_json()
    row = _row(board, "Acme porosity")
    assert row["enterprise"]["name"] == "Acme Castings"
    assert row["university"]["name"] == ws.university.name
    assert row["status"] == "active"
    assert row["milestones"] == {"total": 4, "reached": 1, "open": 3, "overdue": 1, "missed": 0}
    assert row["next_milestone"]["id"] == late["id"]  # the overdue one comes first
    assert row["next_milestone"]["title"] == "Pilot line set up"
    assert row["next_milestone"]["due_date"] == late["due_date"]
    assert row["latest_trial"]["number"] == 1
    assert row["latest_trial"]["status"] == "completed"
    assert row["latest_trial"]["outcome"] == "passed"
    empty = _row(board, "Weld seams")
    assert empty["latest_trial"] is None and empty["next_milestone"] is None
    assert empty["milestones"]["total"] == 0
    assert board["totals"]["with_overdue"] == 1
    assert board["totals"]["milestones"]["reached"] == 1
    assert board["last_event_id"] > 0


def test_sorting_by_next_due_date_and_latest_trial(make, api):
    """Both orders, against the title order, so a sort that did nothing fails;
    a workspace without a due date or trial sorts last either way."""
    w = world(make, api)
    milestone(api, w.by_org, "Later", due_in_days=9)
    milestone(api, w.by_hand, "Sooner", due_in_days=2)
    trial(api, w.by_org)
    trial(api, w.by_org)  # the latest is #2
    pm = api.as_(w.manager)

    def titles(qs: str) -> list[str]:
        return [r["title"] for r in pm.get("/dashboard" + qs).get_json()["items"]]

    assert titles("?sort=next_due") == ["Weld seams", "Acme porosity"]
    assert titles("?sort=next_due&order=desc") == ["Acme porosity", "Weld seams"]
    assert titles("?sort=latest_trial") == ["Acme porosity", "Weld seams"]  # no trial: last
    assert titles("?sort=latest_trial&order=desc") == ["Acme porosity", "Weld seams"]
    for _ in range(3):
        trial(api, w.by_hand)  # #3 beats Acme's #2
    assert titles("?sort=latest_trial") == ["Acme porosity", "Weld seams"]
    assert titles("?sort=latest_trial&order=desc") == ["Weld seams", "Acme porosity"]
    row = _row(pm.get("/dashboard").get_json(), "Weld seams")
    assert row["latest_trial"]["number"] == 3 and row["next_milestone"]["title"] == "Sooner"


def test_statement_agreed_shows_once_both_sides_approve(make, api):
    w = world(make, api)
    before = _row(api.as_(w.manager).get("/dashboard").get_json(), "Acme porosity")
    assert before["statement_agreed"] in (False, None)
    agree_statement(api, w.by_org)
    after = api.as_(w.manager).get("/dashboard").get_json()
    assert _row(after, "Acme porosity")["statement_agreed"] is True
    assert _row(after, "Weld seams")["statement_agreed"] is False
    assert after["totals"]["agreed"] == 1


def test_filters_sort_and_search(make, api):
    w = world(make, api)
    milestone(api, w.by_hand, "Late one", due_in_days=-1)
    api.as_(w.by_org.owner).patch(f"/workspaces/{w.by_org.id}", json={"status": "paused"})
    pm = api.as_(w.manager)

    def titles(qs: str) -> list[str]:
        resp = pm.get("/dashboard" + qs)
        assert resp.status_code == 200, resp.get_json()
        return [r["title"] for r in resp.get_json()["items"]]

    assert titles("?sort=title") == ["Acme porosity", "Weld seams"]
    assert titles("?sort=title&order=desc") == ["Weld seams", "Acme porosity"]
    assert titles(f"?organization_id={w.acme.id}") == ["Acme porosity"]
    assert titles(f"?organization_id={w.by_hand.university_id}") == ["Weld seams"]
    assert titles("?status=paused") == ["Acme porosity"]
    assert titles("?overdue=true") == ["Weld seams"]
    assert titles("?overdue=false") == ["Acme porosity"]
    assert titles("?q=weld") == ["Weld seams"]
    assert titles("?q=ACME%20cast") == ["Acme porosity"]  # organization names too
    assert titles("?q=secret") == []  # outside the portfolio stays outside
    assert titles("?sort=overdue&order=desc")[0] == "Weld seams"
    assert titles("?sort=next_due") == ["Weld seams", "Acme porosity"]  # no due date: last
    page = pm.get("/dashboard?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"] == "1"
    assert page["totals"]["workspaces"] == 2
    rest = pm.get("/dashboard?limit=1&cursor=1").get_json()
    assert [r["title"] for r in rest["items"]] == ["Weld seams"] and rest["next_cursor"] is None


def test_bad_dashboard_queries_get_a_4xx(make, api):
    manager = make.manager()
    for qs in (
        "?sort=nope",
        "?status=sleeping",
        "?limit=0",
        "?limit=5000",
        "?organization_id=x",
        "?overdue=maybe",
        "?cursor=-1",
        "?q=" + "x" * 201,
    ):
        resp = api.as_(manager).get("/dashboard" + qs)
        assert resp.status_code == 422, (qs, resp.get_json())
        assert resp.get_json()["error"]["code"] == "validation_failed"


def test_funding_released_against_planned(make, api):
    w = world(make, api)
    a = milestone(api, w.by_org, "Tranche 1")
    b = milestone(api, w.by_org, "Tranche 2")
    pm = api.as_(w.manager)
    assert (
        pm.put(
            f"/milestones/{a['id']}/funding", json={"amount": "100000", "currency": "CNY"}
        ).status_code
        == 200
    )
    assert (
        pm.put(
            f"/milestones/{b['id']}/funding", json={"amount": 250000.5, "currency": "CNY"}
        ).status_code
        == 200
    )
    reach(api, w.by_org, a["id"])
    board = pm.get("/dashboard").get_json()
    row = _row(board, "Acme porosity")
    assert row["funding"] == [{"currency": "CNY", "planned": "350000.50", "released": "100000.00"}]
    assert board["totals"]["funding"] == row["funding"]
    # Editors cannot set funding; outsiders cannot see the milestone at all.
    assert (
        api.as_(w.by_org.owner)
        .put(f"/milestones/{a['id']}/funding", json={"amount": "1", "currency": "CNY"})
        .status_code
        == 403
    )
    stranger = make.manager("Other PM")
    make_admin_portfolio = api.as_(w.admin).put(f"/managers/{stranger.id}/portfolio", json={})
    assert make_admin_portfolio.status_code == 200
    assert api.as_(stranger).get(f"/milestones/{a['id']}/funding").status_code == 404
    for bad in (
        {"amount": "-1", "currency": "CNY"},
        {"amount": "1", "currency": "yuan"},
        {"amount": "abc", "currency": "CNY"},
        {"currency": "CNY"},
    ):
        assert pm.put(f"/milestones/{a['id']}/funding", json=bad).status_code == 422, bad
    assert pm.get(f"/milestones/{a['id']}/funding").get_json()["amount"] == "100000.00"


def test_dashboard_cost_does_not_grow_with_the_portfolio(app, make, api):
    from workspace.db import db

    manager = make.manager()
    workspaces = [make.workspace() for _ in range(2)]
    for ws in workspaces:
        milestone(api, ws, "M")
    statements: list[str] = []

    me = threading.get_ident()  # background jobs share the engine

    def count(*args: object) -> None:
        if threading.get_ident() == me:
            statements.append(str(args[2]))

    pm = api.as_(manager)
    pm.get("/dashboard")  # warm the token lookup path
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        pm.get("/dashboard")
        small = len(statements)
        for _ in range(6):
            milestone(api, make.workspace(), "M")
        statements.clear()
        body = pm.get("/dashboard").get_json()
        large = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert body["totals"]["workspaces"] >= 8
    # Constant: BEGIN, token, user, cursor, portfolio, the rows (the readable
    # set is inside them, not a list of ids), the page's funding, next
    # milestones and latest trials (none here), funding totals.
    assert large == small <= 9, statements


def test_totals_alone_match_the_boards_totals(make, api):
    """What a live page refreshes after each event: the same numbers as the
    board's own totals, for every filter, and nothing outside the portfolio."""
    w = world(make, api)
    pm = api.as_(w.manager)
    funded = milestone(api, w.by_org, "Tranche 1", due_in_days=3)
    assert (
        pm.put(
            f"/milestones/{funded['id']}/funding", json={"amount": "1200.5", "currency": "CNY"}
        ).status_code
        == 200
    )
    reach(api, w.by_org, funded["id"])
    milestone(api, w.by_hand, "Late one", due_in_days=-2)
    milestone(api, w.by_hand, "Later", due_in_days=20)
    agree_statement(api, w.by_org)
    outside = milestone(api, w.outside, "Furnace relining", due_in_days=-1)
    assert outside["id"]
    for qs in (
        "",
        f"?organization_id={w.acme.id}",
        "?status=active",
        "?status=paused",
        "?overdue=true",
        "?overdue=false",
        "?q=weld",
        "?q=nothing-matches",
    ):
        board = pm.get("/dashboard" + qs).get_json()["totals"]
        alone = pm.get("/dashboard/totals" + qs)
        assert alone.status_code == 200, (qs, alone.get_json())
        assert alone.get_json() == board, qs
    everything = pm.get("/dashboard/totals").get_json()
    assert everything["workspaces"] == 2 and everything["with_overdue"] == 1
    assert everything["milestones"] == {
        "total": 3,
        "reached": 1,
        "open": 2,
        "overdue": 1,
        "missed": 0,
    }
    assert everything["agreed"] == 1
    assert everything["funding"] == [
        {"currency": "CNY", "planned": "1200.50", "released": "1200.50"}
    ]
    assert pm.get("/dashboard/totals?status=sleeping").status_code == 422
    # One row (what a live page refetches) is computed for that workspace alone.
    one = pm.get(f"/dashboard?workspace_id={w.by_hand.id}").get_json()
    assert [r["title"] for r in one["items"]] == ["Weld seams"]
    assert one["items"][0]["milestones"]["overdue"] == 1
    # Several rows at once (a burst that touched several workspaces); one outside
    # the portfolio among them is simply not there.
    several = pm.get(
        f"/dashboard?workspace_id={w.by_hand.id},{w.outside.id},{w.by_org.id}"
    ).get_json()
    assert sorted(r["id"] for r in several["items"]) == sorted([w.by_hand.id, w.by_org.id])
    for bad in ("0", "1,,2", "a", "1;2", ",".join(["1"] * 2) + ",-3", "١"):
        refused = pm.get(f"/dashboard?workspace_id={bad}")
        assert refused.status_code == 422, bad
        assert "workspace_id" in refused.get_json()["error"]["fields"], bad
    hidden = pm.get(f"/dashboard?workspace_id={w.outside.id}").get_json()
    assert hidden["items"] == [] and hidden["totals"]["workspaces"] == 0
    assert pm.get(f"/dashboard/totals?workspace_id={w.outside.id}").get_json()["workspaces"] == 0
