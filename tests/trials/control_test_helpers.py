"""A baseline and a running trial on one indicator, for control-chart tests."""

from __future__ import annotations

from typing import Any

from tests.trials.factory import measure, set_status, trial

CYCLE = (
    {
        "key": "cycle_time_s",
        "label": "Cycle",
        "unit": "s",
        "comparator": "<=",
        "target": 62,
        "upper_spec": 64,
        "lower_spec": 58,
    },
)


def baseline_and_running(api: Any, ws: Any) -> dict:
    """A completed baseline trial (centre ~60.5 s) and a running trial to measure."""
    base = trial(api, ws, "running")
    measure(api, ws, base["id"], {"cycle_time_s": [60, 61, 60, 61, 60, 61, 60, 61]})
    set_status(api, ws, base["id"], "completed")
    api.as_(ws.owner).patch(f"/trials/{base['id']}", json={"baseline": True})
    return trial(api, ws, "running")
