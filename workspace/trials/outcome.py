"""The outcome rules, free of Flask and SQL.

A trial `passed` when every indicator has a measurement and each aggregate
meets its target, else `failed`. While it runs the outcome is `pending` until
every indicator has a measurement; at completion a missing indicator means
`failed`. A workspace without indicators has nothing to pass: `pending` while
running, `failed` once completed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    id: int
    key: str
    comparator: str  # ">=" or "<="
    target: float
    aggregate: str  # mean | min | max | last


def aggregate(values: Sequence[float], kind: str) -> float | None:
    """`values` in recorded order (oldest first)."""
    if not values:
        return None
    if kind == "mean":
        return sum(values) / len(values)
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    if kind == "last":
        return values[-1]
    raise ValueError(f"unknown aggregate {kind!r}")


def meets(value: float, comparator: str, target: float) -> bool:
    return value >= target if comparator == ">=" else value <= target


def results_for(
    targets: Iterable[Target], aggregates: dict[str, float | None]
) -> dict[str, dict[str, Any]]:
    """Per indicator key `{value, met}` (met is None while there is no value)."""
    out: dict[str, dict[str, Any]] = {}
    for t in targets:
        value = aggregates.get(t.key)
        out[t.key] = {
            "value": value,
            "met": None if value is None else meets(value, t.comparator, t.target),
            "target": t.target,
            "comparator": t.comparator,
            "indicator_id": t.id,
        }
    return out


def outcome_of(results: dict[str, dict[str, Any]], final: bool) -> str:
    if not results:
        return "failed" if final else "pending"
    if any(r["value"] is None for r in results.values()):
        return "failed" if final else "pending"
    return "passed" if all(r["met"] for r in results.values()) else "failed"


def finalize(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """At completion a missing indicator is not met."""
    return {k: {**r, "met": bool(r["met"])} for k, r in results.items()}
