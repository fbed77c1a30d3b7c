"""Automatic milestone criteria, free of Flask and SQL.

`{"indicators": "all" | [indicator ids], "consecutive_trials": N}` holds when
the chosen indicators were met in each of the last N finished trials in a
row. Aborted trials count as finished and break the streak: a run of good
results is only convincing if nothing went wrong in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finished:
    status: str  # completed | aborted
    results: dict[str, dict[str, Any]]  # per indicator key: {value, met}


@dataclass(frozen=True)
class Progress:
    streak: int
    needed: int
    keys: tuple[str, ...]

    @property
    def holds(self) -> bool:
        return bool(self.keys) and self.streak >= self.needed


def chosen_keys(criteria: dict[str, Any], indicators: dict[int, str]) -> tuple[str, ...]:
    """`indicators` maps id → key for the workspace's indicators now."""
    chosen = criteria.get("indicators", "all")
    if chosen == "all":
        return tuple(sorted(indicators.values()))
    return tuple(sorted(indicators.get(i, f"#{i}") for i in chosen))


def trial_meets(trial: Finished, keys: Sequence[str]) -> bool:
    if trial.status != "completed":
        return False
    return all((trial.results.get(k) or {}).get("met") is True for k in keys)


def progress(
    criteria: dict[str, Any], indicators: dict[int, str], newest_first: Sequence[Finished]
) -> Progress:
    keys = chosen_keys(criteria, indicators)
    needed = int(criteria["consecutive_trials"])
    streak = 0
    if keys:
        for trial in newest_first:
            if not trial_meets(trial, keys):
                break
            streak += 1
            if streak >= needed:
                break
    return Progress(streak=streak, needed=needed, keys=keys)
