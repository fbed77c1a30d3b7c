"""Demo content: the die-casting porosity problem's indicators, three finished
iterations that close in on the target, one running, and two milestones."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from workspace import demo
from workspace.auth.models import User
from workspace.db import utcnow
from workspace.milestones import service as milestones
from workspace.trials import measurements, service
from workspace.workspaces.models import Workspace

INDICATORS = (
    {"key": "porosity_scrap_pct", "label": "气孔报废率 Porosity scrap", "unit": "%",
     "comparator": "<=", "target": 1.5, "aggregate": "mean", "upper_spec": 2.5},
    {"key": "cycle_time_s", "label": "节拍 Cycle time", "unit": "s", "comparator": "<=",
     "target": 62, "aggregate": "mean", "upper_spec": 64},
    {"key": "tensile_mpa", "label": "抗拉强度 Tensile strength", "unit": "MPa",
     "comparator": ">=", "target": 240, "aggregate": "min", "lower_spec": 230},
)
# (title, hypothesis, parameter changes, mean of each metric, finish?)
ITERATIONS = (
    ("Baseline", "Current process, measured", {"die_temp_c": 210, "vacuum": "off",
                                               "intensification_bar": 280},
     {"porosity_scrap_pct": 4.6, "cycle_time_s": 61.5, "tensile_mpa": 248}, True),
    ("Vacuum assist", "Evacuating the die removes entrapped air",
     {"vacuum": "on"}, {"porosity_scrap_pct": 2.1, "cycle_time_s": 61.8, "tensile_mpa": 252},
     True),
    ("Hotter die", "A hotter die delays solidification at the thick boss",
     {"die_temp_c": 225}, {"porosity_scrap_pct": 1.3, "cycle_time_s": 61.9, "tensile_mpa": 255},
     True),
    ("Higher intensification", "More pressure at the end of the shot feeds shrinkage",
     {"intensification_bar": 320},
     {"porosity_scrap_pct": 1.1, "cycle_time_s": 62.4, "tensile_mpa": 258}, False),
)
SPREAD = {"porosity_scrap_pct": 0.25, "cycle_time_s": 0.4, "tensile_mpa": 3.0}


def add_demo_trials(s: Session, ws: Workspace, users: dict[str, User]) -> None:
    lead, engineer, prof = users["enterprise"], users["engineer"], users["university"]
    rng = random.Random(4)
    for spec in INDICATORS:
        service.create_indicator(s, lead, ws.id, dict(spec))
    start = utcnow() - timedelta(days=12)
    parent = None
    params: dict = {}
    for n, (title, hypothesis, change, means, finish) in enumerate(ITERATIONS):
        params = {**params, **change}
        trial = service.create_trial(s, prof if parent else lead, ws.id, {
            "title": title, "hypothesis": hypothesis, "line": "Line 3 · 三号线",
            "batch": f"B{date.today():%y%m}-{n + 1:02d}", "parameters": params,
            "parent_id": parent.id if parent else None,
        })
        service.change_status(s, engineer, trial, "running")
        for metric, mean in means.items():
            count = 25 if metric != "tensile_mpa" else 8
            rows = [{"metric": metric, "value": round(rng.gauss(mean, SPREAD[metric]), 2),
                     "recorded_at": start + timedelta(days=3 * n, minutes=10 * i),
                     "source": "line-3 MES"} for i in range(count)]
            measurements.record_measurements(s, engineer, trial.id, rows, None)
        if finish:
            service.change_status(s, engineer, trial, "completed")
            # The latest good iteration is the process to hold the running one to.
            service.update_trial(s, engineer, trial.id, {"baseline": trial.outcome == "passed"})
        parent = trial
    milestones.create_milestone(s, lead, ws.id, {
        "title": "气孔率连续三轮达标 Scrap on target three trials in a row",
        "description": "All indicators met in three consecutive completed trials.",
        "due_date": date.today() + timedelta(days=21),
        "criteria": {"indicators": "all", "consecutive_trials": 3},
    })
    milestones.create_milestone(s, lead, ws.id, {
        "title": "中试方案双方确认 Pilot plan signed off",
        "description": "Both sides agree on the parameters for the pilot batch.",
        "due_date": date.today() + timedelta(days=2), "criteria": None,
    })


if add_demo_trials not in demo.DEMO_HOOKS:
    demo.DEMO_HOOKS.append(add_demo_trials)
