"""Control charts: a point beyond the baseline's limits raises `trial.alert`."""

from __future__ import annotations

from tests.trials.control_test_helpers import CYCLE
from tests.trials.factory import add_indicators, measure, set_status, trial


def alerts(api, ws):
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"] == "trial.alert"]


def test_out_of_control_point_raises_one_alert_per_batch(make, api, client):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    base = trial(api, ws, "running")
    measure(api, ws, base["id"], {"cycle_time_s": [60, 61, 60, 61, 60, 61, 60, 61]})
    set_status(api, ws, base["id"], "completed")
    api.as_(ws.owner).patch(f"/trials/{base['id']}", json={"baseline": True})

    t = trial(api, ws, "running")
    measure(api, ws, t["id"], {"cycle_time_s": [60.4, 60.6]})
    assert alerts(api, ws) == []
    measure(api, ws, t["id"], {"cycle_time_s": [63.9, 64.5]})
    got = alerts(api, ws)
    assert len(got) == 1
    data = got[0]["data"]
    assert data["trial"]["id"] == t["id"] and data["metric"] == "cycle_time_s"
    assert 1 in data["rules"] and data["value"] == 63.9
    assert data["ucl"] < 63.9

    client.post("/api/v1/auth/login", json={"email": ws.owner.email, "password": ws.owner.password})
    page = client.get(f"/trials/{t['id']}").get_data(as_text=True)
    assert 'data-testid="cpk-cycle_time_s"' in page
    assert 'data-testid="control-cycle_time_s" data-signals="2"' in page
