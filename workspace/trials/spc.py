"""Statistical process control for one indicator, free of Flask and SQL.

An individuals (X) chart: the centre line is the mean of a baseline, sigma is
estimated from the average moving range (MR̄ / d2, d2 = 1.128 for n = 2), as
the textbooks do for individual readings. The Western Electric rules flag a
point that makes the process look out of control.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

D2 = 1.128
RULES = {
    1: "one point beyond 3σ",
    2: "two of three beyond 2σ on one side",
    3: "four of five beyond 1σ on one side",
    4: "eight in a row on one side of the centre",
}


@dataclass(frozen=True)
class Limits:
    centre: float
    sigma: float

    @property
    def ucl(self) -> float:
        return self.centre + 3 * self.sigma

    @property
    def lcl(self) -> float:
        return self.centre - 3 * self.sigma

    def zone(self, value: float) -> float:
        """Distance from the centre in sigmas (signed)."""
        return (value - self.centre) / self.sigma


def sigma_from_moving_range(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    return (sum(ranges) / len(ranges)) / D2


def limits_of(centre: float, sigma: float) -> Limits | None:
    """None when sigma says nothing (no spread, or not a number)."""
    if sigma <= 0 or not math.isfinite(sigma) or not math.isfinite(centre):
        return None
    return Limits(centre=centre, sigma=sigma)


@dataclass(frozen=True)
class Signal:
    index: int  # the point that completes the pattern
    rule: int

    @property
    def description(self) -> str:
        return RULES[self.rule]


def western_electric(values: Sequence[float], limits: Limits, start: int = 0) -> list[Signal]:
    """Signals at points index >= start (earlier points give context only).

    One signal per point: the lowest-numbered rule it breaks.
    """
    z = [limits.zone(v) for v in values]
    signals = []
    for i in range(max(start, 0), len(z)):
        rule = _first_rule(z, i)
        if rule:
            signals.append(Signal(i, rule))
    return signals


def _first_rule(z: Sequence[float], i: int) -> int | None:
    if abs(z[i]) > 3:
        return 1
    for side in (1, -1):
        if side * z[i] <= 0:
            continue
        last3 = z[max(0, i - 2) : i + 1]
        if len(last3) == 3 and sum(1 for v in last3 if side * v > 2) >= 2 and side * z[i] > 2:
            return 2
        last5 = z[max(0, i - 4) : i + 1]
        if len(last5) == 5 and sum(1 for v in last5 if side * v > 1) >= 4 and side * z[i] > 1:
            return 3
        last8 = z[max(0, i - 7) : i + 1]
        if len(last8) == 8 and all(side * v > 0 for v in last8):
            return 4
    return None


def cpk(values: Sequence[float], lower: float | None, upper: float | None) -> float | None:
    """Process capability against the specification limits (one or both).

    Uses the short-term sigma (moving range) of the values themselves.
    """
    if (lower is None and upper is None) or len(values) < 2:
        return None
    sigma = sigma_from_moving_range(values)
    if not sigma:
        return None
    mean = sum(values) / len(values)
    sides = []
    if upper is not None:
        sides.append((upper - mean) / (3 * sigma))
    if lower is not None:
        sides.append((mean - lower) / (3 * sigma))
    return min(sides)
