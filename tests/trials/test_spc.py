"""Control-chart limits, Western Electric rules and Cpk as pure functions."""

from __future__ import annotations

import pytest

from workspace.trials.spc import (
    Limits,
    cpk,
    limits_of,
    sigma_from_moving_range,
    western_electric,
)

LIMITS = Limits(centre=10.0, sigma=1.0)


def test_limits_from_the_average_moving_range():
    baseline = [10, 11, 10, 11, 10]
    assert sigma_from_moving_range(baseline) == pytest.approx(1 / 1.128)
    lim = limits_of(10.4, 1 / 1.128)
    assert lim.centre == pytest.approx(10.4)
    assert lim.ucl == pytest.approx(10.4 + 3 / 1.128)
    assert sigma_from_moving_range([10]) is None
    assert sigma_from_moving_range([5, 5, 5]) == 0
    assert limits_of(5, 0) is None  # no spread: no limits rather than ÷0


def test_rule_1_one_point_beyond_three_sigma():
    signals = western_electric([10, 10.5, 13.5], LIMITS)
    assert [(s.index, s.rule) for s in signals] == [(2, 1)]


def test_rule_2_two_of_three_beyond_two_sigma_same_side():
    assert [(s.index, s.rule) for s in western_electric([12.5, 10, 12.2], LIMITS)] == [(2, 2)]
    assert western_electric([12.5, 10, 7.5], LIMITS) == []  # opposite sides


def test_rule_3_four_of_five_beyond_one_sigma():
    values = [8.5, 8.5, 10, 8.5, 8.5]
    assert [(s.index, s.rule) for s in western_electric(values, LIMITS)] == [(4, 3)]


def test_rule_4_eight_in_a_row_on_one_side():
    values = [10.2] * 7 + [10.1]
    assert [(s.index, s.rule) for s in western_electric(values, LIMITS)] == [(7, 4)]
    assert western_electric([10.2] * 7 + [9.9], LIMITS) == []


def test_only_new_points_are_flagged():
    assert western_electric([14, 10, 10], LIMITS, start=1) == []


def test_cpk_with_one_or_two_specification_limits():
    values = [10, 11, 10, 11]
    sigma = 1 / 1.128
    assert cpk(values, 7, 13) == pytest.approx(2.5 / (3 * sigma))
    assert cpk(values, None, 12) == pytest.approx(1.5 / (3 * sigma))
    assert cpk(values, None, None) is None
    assert cpk([10], 0, 20) is None
