"""Indicators and trials through the REST API: numbering, transitions,
optimistic concurrency, next iteration, outcome live and fixed."""

from __future__ import annotations

from tests.trials.factory import GOOD, add_indicators, measure, set_status, trial


def events_of(api, ws, type_):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"] == type_]


def test_indicators_are_created_listed_and_changed(make, api):
    ws = make.workspace()
    created = add_indicators(api, ws)
    assert created[0]["aggregate"] == "mean" and created[1]["aggregate"] == "min"
    listed = api.as_(ws.partner).get(f"/workspaces/{ws.id}/indicators").get_json()["items"]
    assert [i["key"] for i in listed] == ["porosity_scrap_pct", "tensile_mpa"]

    dup = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/indicators",
        json={"key": "tensile_mpa", "label": "Again", "comparator": ">=", "target": 1},
    )
    assert dup.status_code == 409 and "tensile_mpa" in dup.get_json()["error"]["message"]
    bad = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/indicators",
        json={"key": "Bad Key", "label": "x", "comparator": "==", "target": "3"},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {"key", "comparator", "target"}

    resp = api.as_(ws.owner).patch(
        f"/indicators/{created[0]['id']}", json={"target": 1.2, "lower_spec": 0, "upper_spec": 3}
    )
    assert resp.status_code == 200 and resp.get_json()["target"] == 1.2
    assert (
        api.as_(ws.owner)
        .patch(f"/indicators/{created[0]['id']}", json={"key": "renamed"})
        .status_code
        == 422
    )
    assert (
        events_of(api, ws, "indicator.created")[0]["data"]["indicator"]["key"]
        == "porosity_scrap_pct"
    )
    assert events_of(api, ws, "indicator.updated")[0]["data"]["changes"]["target"]["to"] == 1.2


def test_viewers_and_managers_cannot_change_indicators_or_trials(make, api):
    viewer = make.user(side="university")
    ws = make.workspace(members={"viewer": viewer})
    t = trial(api, ws)
    for user in (viewer, ws.manager):
        assert (
            api.as_(user)
            .post(
                f"/workspaces/{ws.id}/indicators",
                json={"key": "k", "label": "K", "comparator": ">=", "target": 1},
            )
            .status_code
            == 403
        )
        assert api.as_(user).patch(f"/trials/{t['id']}", json={"title": "x"}).status_code == 403
        assert api.as_(user).get(f"/trials/{t['id']}").status_code == 200
    outsider = make.user(side="enterprise")
    assert api.as_(outsider).get(f"/trials/{t['id']}").status_code == 404


def test_trials_are_numbered_per_workspace_and_transitions_are_enforced(make, api):
    ws, other = make.workspace(), make.workspace()
    add_indicators(api, ws)
    first = trial(api, ws, title="Baseline", line="Line 3", parameters={"die_temp_c": 220})
    second = trial(api, ws)
    elsewhere = trial(api, other)
    assert (first["number"], second["number"], elsewhere["number"]) == (1, 2, 1)
    assert first["status"] == "planned" and first["outcome"] == "pending"

    refused = api.as_(ws.owner).patch(f"/trials/{first['id']}", json={"status": "completed"})
    assert refused.status_code == 409
    assert "planned to completed" in refused.get_json()["error"]["message"]
    set_status(api, ws, first["id"], "running")
    done = set_status(api, ws, first["id"], "completed")
    assert done["outcome"] == "failed"  # no measurement: a missing indicator fails
    again = api.as_(ws.owner).patch(f"/trials/{first['id']}", json={"status": "running"})
    assert again.status_code == 409
    assert (
        api.as_(ws.owner).patch(f"/trials/{first['id']}", json={"parameters": {"x": 1}}).status_code
        == 409
    )
    changed = [e["data"]["status"] for e in events_of(api, ws, "trial.status_changed")]
    assert changed == ["running", "completed"]


def test_stale_if_match_gets_412_and_changes_nothing(make, api):
    ws = make.workspace()
    t = trial(api, ws, title="Draft")
    got = api.as_(ws.owner).get(f"/trials/{t['id']}")
    etag = got.headers["ETag"]
    first = api.as_(ws.owner).patch(
        f"/trials/{t['id']}", json={"title": "Mine"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200 and first.headers["ETag"] != etag
    second = api.as_(ws.partner).patch(
        f"/trials/{t['id']}", json={"title": "Theirs"}, headers={"If-Match": etag}
    )
    assert second.status_code == 412
    assert api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["title"] == "Mine"


def test_next_iteration_copies_line_and_parameters_into_a_planned_child(make, api):
    ws = make.workspace()
    parent = trial(
        api,
        ws,
        "completed",
        line="Line 3",
        batch="B-7",
        parameters={"die_temp_c": 220, "vacuum": "on"},
    )
    resp = api.as_(ws.partner).post(
        f"/trials/{parent['id']}/next",
        json={"parameters": {"die_temp_c": 235}, "hypothesis": "Hotter die, fewer pores"},
    )
    assert resp.status_code == 201, resp.get_json()
    child = resp.get_json()
    assert child["parent_id"] == parent["id"] and child["status"] == "planned"
    assert child["line"] == "Line 3" and child["number"] == 2
    assert child["parameters"] == {"die_temp_c": 235, "vacuum": "on"}
    assert resp.headers["Location"].endswith(f"/trials/{child['id']}")
    spec = api.as_(ws.owner).get("/openapi.json").get_json()
    assert "/trials/{trial_id}/next" in spec["paths"]


def test_bad_parent_and_parameters_are_refused(make, api):
    ws, other = make.workspace(), make.workspace()
    foreign = trial(api, other)
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/trials", json={"parent_id": foreign["id"]})
    assert resp.status_code == 422 and "parent_id" in resp.get_json()["error"]["fields"]
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/trials", json={"parameters": {"speed": [1, 2]}}
    )
    assert resp.status_code == 422
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/trials", json={"title": "x" * 201})
    assert resp.status_code == 422
    assert api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"] == []


def test_outcome_is_live_while_running_and_fixed_at_completion(make, api):
    ws = make.workspace()
    inds = add_indicators(api, ws)
    t = trial(api, ws, "running")
    measure(api, ws, t["id"], {"porosity_scrap_pct": [1.0]})
    live = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert live["outcome"] == "pending"
    assert live["results"]["porosity_scrap_pct"] == {
        "value": 1.0,
        "met": True,
        "target": 1.5,
        "comparator": "<=",
        "indicator_id": inds[0]["id"],
    }
    assert live["results"]["tensile_mpa"]["value"] is None
    measure(api, ws, t["id"], GOOD)
    live = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert live["outcome"] == "passed" and live["results"]["tensile_mpa"]["value"] == 250

    done = set_status(api, ws, t["id"], "completed")
    assert done["outcome"] == "passed"
    completed = events_of(api, ws, "trial.completed")[-1]["data"]
    assert completed["outcome"] == "passed"
    assert completed["results"]["tensile_mpa"]["met"] is True
    # Moving the goalposts later does not rewrite history.
    api.as_(ws.owner).patch(f"/indicators/{inds[1]['id']}", json={"target": 300})
    assert api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["outcome"] == "passed"
