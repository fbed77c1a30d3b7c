"""The demo a newcomer sees has trials, a running one and milestones."""

from __future__ import annotations


def test_demo_has_trials_and_milestones(app, api):
    from sqlalchemy import select

    from workspace.auth.models import User
    from workspace.db import db
    from workspace.demo import seed_demo

    assert seed_demo()
    with db.reading() as s:
        lead = s.scalar(select(User).where(User.email == "enterprise@demo.jointlab"))
    lead.password = "jointlab-demo"
    ws_id = api.as_(lead).get("/workspaces").get_json()["items"][0]["id"]
    keys = [
        i["key"] for i in api.as_(lead).get(f"/workspaces/{ws_id}/indicators").get_json()["items"]
    ]
    assert keys == ["porosity_scrap_pct", "cycle_time_s", "tensile_mpa"]
    trials = api.as_(lead).get(f"/workspaces/{ws_id}/trials").get_json()["items"]
    assert [t["status"] for t in trials] == ["completed"] * 3 + ["running"]
    assert [t["outcome"] for t in trials[:3]] == ["failed", "failed", "passed"]
    assert all(t["parent_id"] == p["id"] for p, t in zip(trials, trials[1:], strict=False))
    ms = api.as_(lead).get(f"/workspaces/{ws_id}/milestones").get_json()["items"]
    assert len(ms) == 2 and any(m["criteria"] for m in ms)
    auto = next(m for m in ms if m["criteria"])
    assert auto["status"] == "open" and auto["progress"]["streak"] == 1
    # A history a line would have: the running iteration is held to the last
    # passed one, is in control, and the activity raises no alarm.
    assert [t["baseline"] for t in trials] == [False, False, True, False]
    events = api.as_(lead).get(f"/workspaces/{ws_id}/events?limit=200").get_json()["items"]
    assert not [e for e in events if e["type"] == "trial.alert"]
    recorded = [e for e in events if e["type"] == "trial.measurements_recorded"]
    assert {m for e in recorded for m in e["data"]["metrics"]} == set(keys)
    assert all(len(e["data"]["metrics"]) > 1 for e in recorded)  # shots, not one metric at a time
