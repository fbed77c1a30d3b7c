"""Where trials plug into the rest (`register`, called by workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.events import types as ev
from workspace.house import House
from workspace.trials import control, demo, pages


def register(house: House) -> None:
    house.routes("workspace.trials.api", "workspace.trials.import_api", "workspace.trials.pages")
    # In the recording transaction, with the new rows: the control-chart rules.
    house.on(ev.TRIAL_MEASUREMENTS_RECORDED, control.check_batch)
    house.panel(pages.workspace_panel)
    house.demo_content(demo.add_demo_trials)
