"""`run_once` (the CLI's and the tests' sweep) never passes a failed
periodic job off as done: the others still run, then it raises."""

from __future__ import annotations

import pytest

from jobs import schedule
from workspace.house import Periodic

RAN: list[str] = []


def fine() -> str:
    RAN.append("fine")
    return "swept"


def boom() -> None:
    RAN.append("boom")
    raise RuntimeError("disk full")


def later() -> int:
    RAN.append("later")
    return 3


def test_a_failing_job_raises_after_the_others_ran(monkeypatch) -> None:
    here = __name__
    monkeypatch.setattr(
        schedule,
        "periodic_jobs",
        lambda: [
            Periodic(f"{here}.fine", 60),
            Periodic(f"{here}.boom", 60),
            Periodic(f"{here}.later", 60),
        ],
    )
    RAN.clear()
    with pytest.raises(schedule.PeriodicJobsFailed) as failed:
        schedule.run_once()
    assert RAN == ["fine", "boom", "later"]
    assert failed.value.failed == [f"{here}.boom"]
    assert failed.value.results == {
        f"{here}.fine": "swept",
        f"{here}.boom": "failed: disk full",
        f"{here}.later": 3,
    }


def test_a_clean_sweep_returns_what_each_job_said(monkeypatch) -> None:
    here = __name__
    monkeypatch.setattr(schedule, "periodic_jobs", lambda: [Periodic(f"{here}.fine", 60)])
    assert schedule.run_once() == {f"{here}.fine": "swept"}
