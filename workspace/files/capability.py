"""Where files plug into the rest (`register`, called by workspace/bootstrap.py)."""

from __future__ import annotations

from workspace.files import pages, sweep, thumbs
from workspace.house import House


def register(house: House) -> None:
    house.routes("workspace.files.api", "workspace.files.pages")
    house.consumer("thumbnails", thumbs.plan_thumbnails)
    house.every("workspace.files.sweep.sweep_orphans", sweep.EVERY_SECONDS)
    house.every("workspace.files.thumbs.sweep_thumbnails", 300)
    house.panel(pages.workspace_panel)
