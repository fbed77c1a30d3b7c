"""Builders shared by the trials and milestones tests (through the real API)."""

from __future__ import annotations

from typing import Any

INDICATORS = (
    {
        "key": "porosity_scrap_pct",
        "label": "Porosity scrap",
        "unit": "%",
        "comparator": "<=",
        "target": 1.5,
    },
    {
        "key": "tensile_mpa",
        "label": "Tensile strength",
        "unit": "MPa",
        "comparator": ">=",
        "target": 240,
        "aggregate": "min",
    },
)


def add_indicators(api: Any, ws: Any, specs: tuple[dict, ...] = INDICATORS) -> list[dict]:
    out = []
    for spec in specs:
        resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/indicators", json=spec)
        assert resp.status_code == 201, resp.get_json()
        out.append(resp.get_json())
    return out


def trial(api: Any, ws: Any, status: str = "planned", **fields: Any) -> dict:
    resp = api.as_(ws.owner).post(f"/workspaces/{ws.id}/trials", json=fields)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    if status in ("running", "completed", "aborted"):
        body = set_status(api, ws, body["id"], "running")
    if status in ("completed", "aborted"):
        body = set_status(api, ws, body["id"], status)
    return body


def set_status(api: Any, ws: Any, trial_id: int, status: str) -> dict:
    resp = api.as_(ws.owner).patch(f"/trials/{trial_id}", json={"status": status})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def measure(
    api: Any, ws: Any, trial_id: int, values: dict[str, list[float]] | list[dict], user: Any = None
) -> Any:
    items = (
        values
        if isinstance(values, list)
        else [{"metric": k, "value": v} for k, vs in values.items() for v in vs]
    )
    return api.as_(user or ws.owner).post(f"/trials/{trial_id}/measurements", json=items)


def run_trial(api: Any, ws: Any, values: dict[str, list[float]], finish: str = "completed") -> dict:
    t = trial(api, ws, "running")
    if values:
        resp = measure(api, ws, t["id"], values)
        assert resp.status_code == 201, resp.get_json()
    return set_status(api, ws, t["id"], finish)


GOOD = {"porosity_scrap_pct": [1.2, 1.4], "tensile_mpa": [250, 262]}
BAD = {"porosity_scrap_pct": [2.5, 2.1], "tensile_mpa": [250, 262]}
