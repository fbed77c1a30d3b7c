"""Where milestones plug into the rest (`register`, called by workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.events import types as ev
from workspace.house import House
from workspace.milestones import reminders, service


def register(house: House) -> None:
    house.routes("workspace.milestones.api")
    # In the completing transaction: a trial that meets the criteria reaches
    # the milestone in the same commit (milestones/service.py, evaluate_milestones).
    house.on(ev.TRIAL_COMPLETED, service.on_trial_completed)
    house.every("workspace.milestones.reminders.check_due_dates", reminders.CHECK_EVERY_SECONDS)
