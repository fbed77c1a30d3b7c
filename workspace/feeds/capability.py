"""Where portfolio feeds plug into the rest (`register`, called by
workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.house import House


def register(house: House) -> None:
    house.routes("workspace.feeds.api")
    house.every("workspace.feeds.weekly.send_weekly_summaries", 3600)
