"""Server-rendered trial pages in both languages (the live journey is in
test_live.py)."""

from __future__ import annotations

import pytest

from tests.trials.factory import BAD, GOOD, add_indicators, run_trial, trial


def login(client, user):
    resp = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert resp.status_code == 200


@pytest.fixture
def ws_with_trials(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    first = run_trial(api, ws, BAD)
    child = (
        api.as_(ws.owner)
        .post(f"/trials/{first['id']}/next", json={"parameters": {"die_temp_c": 235}})
        .get_json()
    )
    api.as_(ws.owner).patch(f"/trials/{child['id']}", json={"status": "running"})
    api.as_(ws.owner).post(
        f"/trials/{child['id']}/measurements",
        json=[{"metric": k, "value": v} for k, vs in GOOD.items() for v in vs],
    )
    api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones",
        json={
            "title": "Two good trials",
            "criteria": {"indicators": "all", "consecutive_trials": 2},
        },
    )
    ws.first, ws.child = first, child
    return ws


def test_board_trial_compare_and_panel_render(client, ws_with_trials):
    ws = ws_with_trials
    login(client, ws.partner)
    board = client.get(f"/workspaces/{ws.id}/trials").get_data(as_text=True)
    assert 'data-testid="trial-tree"' in board and "#2" in board
    assert 'data-testid="chart-porosity_scrap_pct"' in board
    assert "0 of 2 consecutive trials" in board
    page = client.get(f"/trials/{ws.child['id']}").get_data(as_text=True)
    assert 'data-testid="gauge-tensile_mpa"' in page
    assert 'data-testid="parameter-changes"' in page and "die_temp_c" in page
    compare = client.get(
        f"/workspaces/{ws.id}/trials/compare?ids={ws.first['id']},{ws.child['id']}"
    ).get_data(as_text=True)
    assert 'data-changed="true"' in compare
    panel = client.get(f"/workspaces/{ws.id}").get_data(as_text=True)
    assert 'data-testid="trials-panel"' in panel
    for part in ("board", "charts", "milestones", "indicators"):
        assert client.get(f"/workspaces/{ws.id}/trials/fragment/{part}").status_code == 200
    assert client.get(f"/workspaces/{ws.id}/trials/fragment/nope").status_code == 404
    assert client.get(f"/trials/{ws.child['id']}/fragment/control").status_code == 200


def test_pages_speak_chinese(client, make, api, ws_with_trials):
    ws = ws_with_trials
    zh = make.user(side="enterprise", locale="zh-CN")
    make.add_member(ws, zh, "editor")
    login(client, zh)
    board = client.get(f"/workspaces/{ws.id}/trials").get_data(as_text=True)
    assert "目标指标" in board and "里程碑" in board
    page = client.get(f"/trials/{ws.child['id']}").get_data(as_text=True)
    assert "开始下一轮迭代" in page
    assert "编辑假设与参数" in page and "作为控制图基准" in page


def test_outsiders_get_404_pages(client, make, ws_with_trials):
    ws = ws_with_trials
    login(client, make.user(side="enterprise"))
    assert client.get(f"/workspaces/{ws.id}/trials").status_code == 404
    assert client.get(f"/trials/{ws.child['id']}").status_code == 404
    assert client.get(f"/workspaces/{ws.id}/trials/compare?ids=x").status_code == 404


def test_empty_workspace_board(client, make, api):
    ws = make.workspace()
    trial(api, ws)
    login(client, ws.owner)
    assert client.get(f"/workspaces/{ws.id}/trials").status_code == 200
    assert client.get(f"/workspaces/{ws.id}/trials/compare").status_code == 200
