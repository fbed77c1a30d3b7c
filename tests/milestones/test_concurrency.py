"""Races on PostgreSQL: two completions fire `milestone.reached` once; two
creators get different trial numbers."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import USE_PG
from tests.trials.factory import GOOD, add_indicators, measure, trial

pytestmark = pytest.mark.skipif(
    not USE_PG,
    reason="SQLite runs one writer at a time (BEGIN IMMEDIATE), so nothing can "
    "race there; run with JOINTLAB_TEST_DATABASE=postgres",
)


def _in_threads(*targets):
    errors: list[BaseException] = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as err:  # surfaced below
                errors.append(err)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


@pytest.mark.parametrize("needed", [1, 2])
def test_two_completions_racing_reach_the_milestone_once(app, make, api, needed):
    from workspace.db import db
    from workspace.trials import service

    ws = make.workspace()
    add_indicators(api, ws)
    resp = api.as_(ws.owner).post(
        f"/workspaces/{ws.id}/milestones",
        json={
            "title": "Two good trials",
            "criteria": {"indicators": "all", "consecutive_trials": needed},
        },
    )
    mid = resp.get_json()["id"]
    trials = [trial(api, ws, "running") for _ in range(2)]
    for t in trials:
        assert measure(api, ws, t["id"], GOOD).status_code == 201

    # Hold both transactions right before the milestone check so they meet there.
    barrier = threading.Barrier(2, timeout=10)

    def meet(*_args):
        barrier.wait()

    from workspace.events import types as ev
    from workspace.house import house_of

    reactions = house_of(app).reactions[ev.TRIAL_COMPLETED]
    reactions.insert(0, meet)
    try:

        def complete(trial_id):
            def run():
                with db.transaction() as s:
                    service.update_trial(s, ws.owner, trial_id, {"status": "completed"})

            return run

        _in_threads(*(complete(t["id"]) for t in trials))
    finally:
        reactions.remove(meet)

    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    reached = [e for e in items if e["type"] == "milestone.reached"]
    assert len(reached) == 1
    ms = api.as_(ws.owner).get(f"/workspaces/{ws.id}/milestones").get_json()["items"]
    assert next(m for m in ms if m["id"] == mid)["status"] == "reached"


def test_concurrent_creators_get_distinct_numbers(make, api):
    from workspace.db import db
    from workspace.trials import service

    ws = make.workspace()

    def create():
        with db.transaction() as s:
            service.create_trial(s, ws.owner, ws.id, {"title": "parallel"})

    _in_threads(*([create] * 6))
    numbers = sorted(
        t["number"]
        for t in api.as_(ws.owner).get(f"/workspaces/{ws.id}/trials").get_json()["items"]
    )
    assert numbers == [1, 2, 3, 4, 5, 6]
