"""A batch's running figures do not depend on how its metrics are mixed: a
line's fixed cycle, a cycle broken once, any order, one metric, many. Each
metric's aggregates (what results, outcomes and control limits are read
from) are those of its readings taken one at a time, in the order sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.trials.fold import Stats, fold_rows
from workspace.trials.readings import Readings

START = datetime(2026, 12, 1, 8, tzinfo=UTC)
KINDS = [f"m{i}" for i in range(12)]


@st.composite
def batches(draw: st.DrawFn) -> list[str]:
    k = draw(st.integers(1, 12))
    n = draw(st.integers(1, 60))
    if draw(st.booleans()):  # a fixed cycle, maybe broken once
        metrics = [KINDS[i % k] for i in range(n)]
        if draw(st.booleans()):
            metrics[draw(st.integers(0, n - 1))] = KINDS[draw(st.integers(0, k - 1))]
        return metrics
    return draw(st.lists(st.sampled_from(KINDS[:k]), min_size=n, max_size=n))


def one_at_a_time(stats: dict[str, Stats], readings: Readings) -> None:
    for metric, value, at in zip(readings.metrics, readings.values, readings.times, strict=True):
        fold_rows(stats, Readings([metric], [value], [at], [None]))


@settings(max_examples=300, deadline=None)
@given(batches(), st.data())
def test_each_metric_is_folded_in_the_order_its_readings_were_sent(metrics, data) -> None:
    n = len(metrics)
    values = data.draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n))
    shared = data.draw(st.booleans())  # a live batch: one time for all
    times = [START if shared else START + timedelta(seconds=i) for i in range(n)]
    batch = Readings(metrics, [v / 4 for v in values], times, [None] * n)
    alone = Readings(list(metrics), list(batch.values), list(times), [None] * n)

    together: dict[str, Stats] = {}
    fold_rows(together, batch)
    reference: dict[str, Stats] = {}
    one_at_a_time(reference, alone)

    assert together == reference
    assert batch.counts() == {m: metrics.count(m) for m in set(metrics)}


def test_readings_sent_without_a_time_are_stamped_and_others_kept() -> None:
    readings = Readings(["a", "b", "a"], [1.0, 2.0, 3.0], [None, START, None], [None] * 3)
    now = START + timedelta(hours=1)
    readings.stamp(now)
    assert readings.times == [now, START, now]
    assert readings.latest(2) == [
        {"metric": "b", "value": 2.0, "recorded_at": "2026-12-01T08:00:00Z", "source": None},
        {"metric": "a", "value": 3.0, "recorded_at": "2026-12-01T09:00:00Z", "source": None},
    ]
