"""Outcome and milestone rules as pure functions, edge cases first."""

from __future__ import annotations

import pytest

from workspace.milestones.criteria import Finished, progress
from workspace.trials.outcome import Target, aggregate, finalize, outcome_of, results_for

SCRAP = Target(1, "scrap_pct", "<=", 1.5, "mean")
TENSILE = Target(2, "tensile_mpa", ">=", 240, "min")


def test_aggregates():
    assert aggregate([3.0, 1.0, 2.0], "mean") == 2.0
    assert aggregate([3.0, 1.0, 2.0], "min") == 1.0
    assert aggregate([3.0, 1.0, 2.0], "max") == 3.0
    assert aggregate([3.0, 1.0, 2.0], "last") == 2.0
    assert aggregate([], "mean") is None
    with pytest.raises(ValueError):
        aggregate([1.0], "median")


def test_less_or_equal_indicators_meet_on_the_boundary():
    results = results_for([SCRAP], {"scrap_pct": 1.5})
    assert results["scrap_pct"]["met"] is True
    assert results_for([SCRAP], {"scrap_pct": 1.5001})["scrap_pct"]["met"] is False
    assert results_for([TENSILE], {"tensile_mpa": 239.9})["tensile_mpa"]["met"] is False


def test_no_measurements_is_pending_live_and_failed_when_final():
    results = results_for([SCRAP, TENSILE], {"scrap_pct": 1.0})
    assert outcome_of(results, final=False) == "pending"
    assert outcome_of(finalize(results), final=True) == "failed"
    assert finalize(results)["tensile_mpa"]["met"] is False
    assert outcome_of({}, final=False) == "pending"
    assert outcome_of({}, final=True) == "failed"


def test_every_indicator_must_meet_its_target():
    both = results_for([SCRAP, TENSILE], {"scrap_pct": 1.0, "tensile_mpa": 250})
    assert outcome_of(both, final=False) == "passed"
    one = results_for([SCRAP, TENSILE], {"scrap_pct": 2.0, "tensile_mpa": 250})
    assert outcome_of(one, final=True) == "failed"


KEYS = {1: "scrap_pct", 2: "tensile_mpa"}
OK = Finished("completed", {"scrap_pct": {"met": True}, "tensile_mpa": {"met": True}})
SCRAP_ONLY = Finished("completed", {"scrap_pct": {"met": True}, "tensile_mpa": {"met": False}})
ABORTED = Finished("aborted", {"scrap_pct": {"met": True}, "tensile_mpa": {"met": True}})


def test_streak_of_consecutive_trials():
    crit = {"indicators": "all", "consecutive_trials": 2}
    assert progress(crit, KEYS, [OK, OK]).holds
    assert not progress(crit, KEYS, [OK]).holds
    assert progress(crit, KEYS, [OK, SCRAP_ONLY, OK]).streak == 1
    assert not progress(crit, KEYS, []).holds


def test_an_aborted_trial_breaks_the_streak():
    crit = {"indicators": "all", "consecutive_trials": 2}
    assert progress(crit, KEYS, [OK, ABORTED, OK]).streak == 1
    assert not progress(crit, KEYS, [OK, ABORTED, OK]).holds


def test_chosen_indicators_only():
    crit = {"indicators": [1], "consecutive_trials": 2}
    assert progress(crit, KEYS, [SCRAP_ONLY, OK]).holds
    assert not progress({"indicators": [2], "consecutive_trials": 1}, KEYS, [SCRAP_ONLY]).holds


def test_all_with_no_indicators_never_holds():
    assert not progress({"indicators": "all", "consecutive_trials": 1}, {}, [OK]).holds


def test_an_indicator_added_after_a_trial_is_not_met_by_it():
    keys = {**KEYS, 3: "cycle_time_s"}
    assert not progress({"indicators": "all", "consecutive_trials": 1}, keys, [OK]).holds
