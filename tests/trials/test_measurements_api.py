"""Measurements: batches, a token that may only write them, idempotent
retries, and bad input that gets a clear 4xx and stores nothing."""

from __future__ import annotations

import json

from tests.trials.factory import add_indicators, measure, set_status, trial


def stored(api, ws, trial_id):
    return api.as_(ws.owner).get(f"/trials/{trial_id}/measurements?limit=1000").get_json()["items"]


def post_raw(api, user, trial_id, raw: str):
    return api.as_(user).post(
        f"/trials/{trial_id}/measurements", data=raw, headers={"Content-Type": "application/json"}
    )


def test_a_line_token_with_only_measurements_write_records_a_batch(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    line = api.as_(ws.owner, scopes=("measurements:write",))
    items = [
        {"metric": "porosity_scrap_pct", "value": 1.1 + (i % 10) / 100, "source": "line-3 PLC"}
        for i in range(1000)
    ]
    resp = line.post(f"/trials/{t['id']}/measurements", json=items)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["count"] == 1000 and body["metrics"] == ["porosity_scrap_pct"]
    assert body["results"]["porosity_scrap_pct"]["met"] is True
    one = line.post(
        f"/trials/{t['id']}/measurements",
        json={"metric": "tensile_mpa", "value": 251, "recorded_at": "2026-03-01T08:00:00+08:00"},
    )
    assert one.status_code == 201 and one.get_json()["outcome"] == "passed"
    # The token writes measurements and nothing else.
    assert line.get(f"/trials/{t['id']}").status_code == 403
    assert line.patch(f"/trials/{t['id']}", json={"title": "x"}).status_code == 403

    page = api.as_(ws.owner).get(f"/trials/{t['id']}/measurements?limit=1000").get_json()
    assert len(page["items"]) == 1000 and page["next_cursor"]
    rest = (
        api.as_(ws.owner)
        .get(f"/trials/{t['id']}/measurements?cursor={page['next_cursor']}")
        .get_json()["items"]
    )
    assert [(r["metric"], r["recorded_at"]) for r in rest] == [
        ("tensile_mpa", "2026-03-01T00:00:00Z")
    ]
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    recorded = [e for e in events if e["type"] == "trial.measurements_recorded"]
    assert [e["data"]["count"] for e in recorded] == [1000, 1]  # one event per batch
    assert recorded[0]["data"]["results"]["porosity_scrap_pct"]["met"] is True


def test_a_retried_batch_with_the_same_client_key_is_stored_once(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    batch = [{"metric": "tensile_mpa", "value": v, "client_key": "plc-42"} for v in (250, 251)]
    first = measure(api, ws, t["id"], batch)
    second = measure(api, ws, t["id"], batch)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(stored(api, ws, t["id"])) == 2
    set_status(api, ws, t["id"], "completed")
    # A retry arriving after completion is still answered as the first time.
    late = measure(api, ws, t["id"], batch)
    assert late.status_code == 201 and late.get_json() == first.get_json()
    mixed = measure(
        api,
        ws,
        t["id"],
        [
            {"metric": "tensile_mpa", "value": 1, "client_key": "a"},
            {"metric": "tensile_mpa", "value": 1, "client_key": "b"},
        ],
    )
    assert mixed.status_code == 422  # one batch, one client_key: refused before anything else
    assert mixed.get_json()["error"]["fields"] == {"client_key": ["Differs between items."]}


def test_non_finite_values_strings_and_unknown_metrics_are_refused(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    owner = ws.owner
    cases = [
        ('[{"metric": "tensile_mpa", "value": NaN}]', "0.value"),
        ('{"metric": "tensile_mpa", "value": Infinity}', "value"),
        (
            '[{"metric": "tensile_mpa", "value": 1}, '
            '{"metric": "tensile_mpa", "value": -Infinity}]',
            "1.value",
        ),
        ('[{"metric": "tensile_mpa", "value": 1e999}]', "0.value"),
        ('[{"metric": "tensile_mpa", "value": "250"}]', "0.value"),
        ('[{"metric": "tensile_mpa", "value": true}]', "0.value"),
        ('[{"metric": "tensile_mpa"}]', "0.value"),
        ('[{"value": 3}]', "0.metric"),
        ('[{"metric": "tensile_mpa", "value": 3, "recorded_at": "yesterday"}]', "0.recorded_at"),
        ('[{"metric": "tensile_mpa", "value": 3, "colour": "red"}]', "0.colour"),
        ("[3]", "0._schema"),
        ('"tensile_mpa"', "_schema"),
    ]
    for raw, field in cases:
        resp = post_raw(api, owner, t["id"], raw)
        assert resp.status_code == 422, (raw, resp.get_json())
        assert field in resp.get_json()["error"]["fields"], (raw, resp.get_json())
    resp = measure(
        api,
        ws,
        t["id"],
        [
            {"metric": "tensile_mpa", "value": 250},
            {"metric": "yield_pct", "value": 90},
            {"metric": "colour_index", "value": 1},
        ],
    )
    assert resp.status_code == 422
    message = resp.get_json()["error"]["message"]
    assert "yield_pct" in message and "colour_index" in message
    assert post_raw(api, owner, t["id"], "{not json").status_code == 400
    assert post_raw(api, owner, t["id"], "[]").status_code == 422
    assert stored(api, ws, t["id"]) == []
    assert api.as_(owner).get(f"/trials/{t['id']}").get_json()["measurement_count"] == 0


def test_a_batch_over_the_limit_gets_413_naming_it(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    items = [{"metric": "tensile_mpa", "value": 250}] * 10_001
    resp = measure(api, ws, t["id"], items)
    assert resp.status_code == 413
    assert "10,000" in resp.get_json()["error"]["message"]
    assert stored(api, ws, t["id"]) == []
    assert measure(api, ws, t["id"], items[:10_000]).status_code == 201


def test_measurements_only_while_running(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    item = {"metric": "tensile_mpa", "value": 250}
    for status in ("planned", "completed", "aborted"):
        t = trial(api, ws, status)
        resp = measure(api, ws, t["id"], [item])
        assert resp.status_code == 409, status
        assert status in resp.get_json()["error"]["message"]
        assert stored(api, ws, t["id"]) == []
    viewer = make.user(side="university")
    make.add_member(ws, viewer, "viewer")
    running = trial(api, ws, "running")
    assert measure(api, ws, running["id"], [item], user=viewer).status_code == 403
    assert (
        api.as_(make.user()).post(f"/trials/{running['id']}/measurements", json=item).status_code
        == 404
    )


def test_last_aggregate_uses_the_latest_recorded_time(make, api):
    ws = make.workspace()
    add_indicators(
        api,
        ws,
        (
            {
                "key": "cycle_time_s",
                "label": "Cycle",
                "unit": "s",
                "comparator": "<=",
                "target": 62,
                "aggregate": "last",
            },
        ),
    )
    t = trial(api, ws, "running")
    measure(
        api,
        ws,
        t["id"],
        [
            {"metric": "cycle_time_s", "value": 61, "recorded_at": "2026-03-01T10:00:00Z"},
            {"metric": "cycle_time_s", "value": 70, "recorded_at": "2026-03-01T09:00:00Z"},
        ],
    )
    result = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()["results"]["cycle_time_s"]
    assert result["value"] == 61 and result["met"] is True
    measure(
        api,
        ws,
        t["id"],
        [{"metric": "cycle_time_s", "value": 64, "recorded_at": "2026-03-01T11:00:00Z"}],
    )
    done = set_status(api, ws, t["id"], "completed")
    assert done["results"]["cycle_time_s"] == {**result, "value": 64, "met": False}
    assert done["outcome"] == "failed"
    assert json.dumps(done)  # plain JSON, no NaN leaks out
