"""Where funding evidence plugs into the rest (`register`, called by
workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.evidence import build
from workspace.house import House


def register(house: House) -> None:
    house.routes("workspace.evidence.api")
    house.consumer("evidence", build.plan_packs)
    house.every("workspace.evidence.build.build_pending_packs", 300)
    house.health_section(build.health)
