"""Where funding evidence plugs into the rest (`register`, called by
workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.evidence import jobs
from workspace.house import House


def register(house: House) -> None:
    house.routes("workspace.evidence.api")
    house.consumer("evidence", jobs.plan_packs)
    house.every("workspace.evidence.jobs.build_pending_packs", 300)
    house.health_section(jobs.health)
