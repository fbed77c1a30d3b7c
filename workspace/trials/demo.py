"""Demo content: the die-casting porosity problem's indicators, three finished
iterations that close in on the target, one running, and two milestones.

The history is recorded the way a line reports it: every shot gives a porosity
check and a cycle time, every third one a tensile bar, posted a shift's worth
at a time. Finished iterations are the past (no live control-chart check);
the running one is held to the last passed iteration (its baseline) and, as
its readings so far are in control, raises no alert."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from workspace.auth.models import User
from workspace.db import utcnow
from workspace.milestones import service as milestones
from workspace.spaces.models import Workspace
from workspace.trials import indicators, ingest_writer, service
from workspace.trials.readings import Readings

INDICATORS = (
    {
        "key": "porosity_scrap_pct",
        "label": "气孔报废率 Porosity scrap",
        "unit": "%",
        "comparator": "<=",
        "target": 1.5,
        "aggregate": "mean",
        "upper_spec": 2.5,
    },
    {
        "key": "cycle_time_s",
        "label": "节拍 Cycle time",
        "unit": "s",
        "comparator": "<=",
        "target": 62,
        "aggregate": "mean",
        "upper_spec": 64,
    },
    {
        "key": "tensile_mpa",
        "label": "抗拉强度 Tensile strength",
        "unit": "MPa",
        "comparator": ">=",
        "target": 240,
        "aggregate": "min",
        "lower_spec": 230,
    },
)
# (title, hypothesis, parameter changes, mean of each metric, finish?)
ITERATIONS = (
    (
        "Baseline",
        "Current process, measured",
        {"die_temp_c": 210, "vacuum": "off", "intensification_bar": 280},
        {"porosity_scrap_pct": 4.6, "cycle_time_s": 61.5, "tensile_mpa": 248},
        True,
    ),
    (
        "Vacuum assist",
        "Evacuating the die removes entrapped air",
        {"vacuum": "on"},
        {"porosity_scrap_pct": 2.1, "cycle_time_s": 61.8, "tensile_mpa": 252},
        True,
    ),
    (
        "Hotter die",
        "A hotter die delays solidification at the thick boss",
        {"die_temp_c": 225},
        {"porosity_scrap_pct": 1.3, "cycle_time_s": 61.6, "tensile_mpa": 255},
        True,
    ),
    (
        "Higher intensification",
        "More pressure at the end of the shot feeds shrinkage",
        {"intensification_bar": 320},
        {"porosity_scrap_pct": 1.3, "cycle_time_s": 61.6, "tensile_mpa": 255},
        False,
    ),
)
SPREAD = {"porosity_scrap_pct": 0.25, "cycle_time_s": 0.4, "tensile_mpa": 3.0}


def add_demo_trials(s: Session, ws: Workspace, users: dict[str, User]) -> None:
    lead, engineer, prof = users["enterprise"], users["engineer"], users["university"]
    # Fixed, so every new install shows the same story; with this draw the
    # running iteration stays in control, as a stable process mostly does (the
    # four Western Electric rules do flag an in-control process now and then).
    rng = random.Random(2)
    for spec in INDICATORS:
        indicators.create_indicator(s, lead, ws.id, dict(spec))
    start = utcnow() - timedelta(days=12)
    parent = None
    params: dict = {}
    for n, (title, hypothesis, change, means, finish) in enumerate(ITERATIONS):
        params = {**params, **change}
        trial = service.create_trial(
            s,
            prof if parent else lead,
            ws.id,
            {
                "title": title,
                "hypothesis": hypothesis,
                "line": "Line 3 · 三号线",
                "batch": f"B{date.today():%y%m}-{n + 1:02d}",
                "parameters": params,
                "parent_id": parent.id if parent else None,
            },
        )
        service.change_status(s, engineer, trial, "running")
        # The running iteration is two shifts in.
        for batch in _shifts(rng, means, start + timedelta(days=3 * n), 24 if finish else 16):
            readings = Readings.of_rows(batch)
            ingest_writer.record_measurements(
                s, engineer, trial.id, readings, None, live=not finish
            )
        if finish:
            service.change_status(s, engineer, trial, "completed")
            # The latest good iteration is the process to hold the running one to.
            service.update_trial(s, engineer, trial.id, {"baseline": trial.outcome == "passed"})
        parent = trial
    milestones.create_milestone(
        s,
        lead,
        ws.id,
        {
            "title": "气孔率连续三轮达标 Scrap on target three trials in a row",
            "description": "All indicators met in three consecutive completed trials.",
            "due_date": date.today() + timedelta(days=21),
            "criteria": {"indicators": "all", "consecutive_trials": 3},
        },
    )
    milestones.create_milestone(
        s,
        lead,
        ws.id,
        {
            "title": "中试方案双方确认 Pilot plan signed off",
            "description": "Both sides agree on the parameters for the pilot batch.",
            "due_date": date.today() + timedelta(days=2),
            "criteria": None,
        },
    )


def _shifts(
    rng: random.Random,
    means: dict[str, float],
    start: datetime,
    shots: int = 24,
    per_shift: int = 8,
) -> list[list[dict]]:
    """Readings in the order the line takes them, one batch per shift."""
    batches: list[list[dict]] = []
    for shot in range(shots):
        if shot % per_shift == 0:
            batches.append([])
        at = start + timedelta(minutes=10 * shot)
        metrics = [m for m in means if m != "tensile_mpa" or shot % 3 == 0]
        batches[-1].extend(
            {
                "metric": m,
                "value": round(rng.gauss(means[m], SPREAD[m]), 2),
                "recorded_at": at,
                "source": "line-3 MES",
            }
            for m in metrics
        )
    return batches
