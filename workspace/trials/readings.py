"""A batch's readings as columns, in the order they were sent.

Parsing gives them, and the fold, the control-chart rules, the event's sample
and the INSERT of arrays read them, with no object per reading: under load a
dict per reading (built, then read back field by field at each step) was the
largest Python cost of a batch. Column passes run in C (list comprehensions
over msgspec's structs, `list.count`, `Counter`, `compress`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import Any

from workspace.fields import iso_utc

# Grouping by metric takes one C pass per metric: past this many metrics in a
# batch, one Python pass over the readings costs less.
_COLUMN_PASSES = 8


@dataclass(slots=True)
class Readings:
    """Four columns of one length. Values are floats, every one (PostgreSQL
    is sent them as one float8 array). A time is None where the reading was
    sent without one, until `stamp` gives it the time the batch is stored."""

    metrics: list[str]
    values: list[float]
    times: list[datetime | None]
    sources: list[str | None]
    counted: Counter[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_rows(cls, rows: Iterable[dict[str, Any]]) -> Readings:
        """Readings from dicts with metric, value and optionally recorded_at
        and source (imports, the demo, tests)."""
        rows = list(rows)
        return cls(
            [r["metric"] for r in rows],
            [float(r["value"]) for r in rows],
            [r.get("recorded_at") for r in rows],
            [r.get("source") for r in rows],
        )

    def __len__(self) -> int:
        return len(self.metrics)

    def counts(self) -> Counter[str]:
        """How many readings each metric has, metrics in the order they first
        appear (counted once: the batch's metrics, the fold and the
        control-chart rules all ask)."""
        if self.counted is None:
            self.counted = Counter(self.metrics)
        return self.counted

    def stamp(self, now: datetime) -> None:
        """Give `now` to the readings sent without a time."""
        times = self.times
        missing = times.count(None)
        if missing == len(times):
            self.times = [now] * len(times)
        elif missing:
            self.times = [now if t is None else t for t in times]

    def by_metric(self) -> dict[str, tuple[list[float], list[Any]]]:
        """Each metric's values and times, in the batch's order; metrics in
        the order they first appear."""
        metrics, values, times = self.metrics, self.values, self.times
        counts = self.counts()
        kinds = list(counts)
        k = len(kinds)
        if k == 1:
            return {kinds[0]: (values, times)}
        # Shot after shot, a line sends its metrics in one fixed cycle: every
        # k-th reading is the same metric, and slices are the groups.
        if metrics[:k] == kinds and all(
            metrics[j::k].count(kinds[j]) == counts[kinds[j]] for j in range(k)
        ):
            return {kinds[j]: (values[j::k], times[j::k]) for j in range(k)}
        if k <= _COLUMN_PASSES:
            out = {}
            for metric in kinds:
                mine = [m == metric for m in metrics]
                out[metric] = (list(compress(values, mine)), list(compress(times, mine)))
            return out
        grouped: dict[str, tuple[list[float], list[Any]]] = {m: ([], []) for m in kinds}
        for metric, value, at in zip(metrics, values, times, strict=True):
            group = grouped[metric]
            group[0].append(value)
            group[1].append(at)
        return grouped

    def latest(self, n: int) -> list[dict[str, Any]]:
        """The last `n` readings as the API shows them (an event's sample)."""
        texts: dict[datetime | None, str | None] = {}  # a live batch shares one time
        out = []
        for metric, value, at, source in zip(
            self.metrics[-n:], self.values[-n:], self.times[-n:], self.sources[-n:], strict=True
        ):
            if at not in texts:
                texts[at] = iso_utc(at)
            out.append(
                {"metric": metric, "value": value, "recorded_at": texts[at], "source": source}
            )
        return out
