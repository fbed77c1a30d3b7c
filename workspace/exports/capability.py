"""Where dashboard exports plug into the rest (`register`, called by
workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.exports import build
from workspace.house import House


def register(house: House) -> None:
    house.routes("workspace.exports.api")
    house.every("workspace.exports.build.sweep", 60)
    house.health_section(build.health)
