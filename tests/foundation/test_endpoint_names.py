"""Endpoint names are short and stable: `url_for` in templates and code names
a route by its capability package and function (or an explicit `name=`),
never by the module path it happens to live in, so moving a view between
modules of its package breaks no link."""

from __future__ import annotations

import pkgutil

import pytest

import workspace
from workspace.http import endpoint, endpoint_name


def _module_paths() -> set[str]:
    """Every module of the app, spelled as the old endpoint names spelled it."""
    return {
        info.name.replace(".", "_")
        for info in pkgutil.walk_packages(workspace.__path__, "workspace.")
        if "." in info.name.removeprefix("workspace.")
    }


def test_no_endpoint_name_holds_a_module_path(app) -> None:
    paths = _module_paths()
    assert "workspace_milestones_api" in paths  # the check sees what it looks for
    names = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert "api.milestones_calendar" in names
    leaking = sorted(n for n in names if any(p in n for p in paths))
    assert not leaking, leaking


def test_api_endpoints_are_named_by_package_and_function() -> None:
    def list_things() -> None:
        return None

    list_things.__module__ = "workspace.milestones.funding_api"
    assert endpoint_name(list_things) == "milestones_list_things"
    list_things.__module__ = "workspace.milestones.api"
    assert endpoint_name(list_things) == "milestones_list_things"


def test_two_views_cannot_share_a_name() -> None:
    def milestones_calendar(workspace_id: int) -> None:
        return None

    with pytest.raises(ValueError, match="milestones_calendar"):
        endpoint(
            "/elsewhere/<int:workspace_id>.ics", summary="x", tag="x", name="milestones_calendar"
        )(milestones_calendar)
