"""The Python a batch of 1,000 readings costs outside the database: parse the
body, find its metrics, stamp its times, fold it into the aggregates, take the
event's sample, prepare the INSERT's columns and count it for the control-chart
rules. CPU only (process_time), the best of 30 rounds of 50 (the machine is
shared: the minimum is the steadiest figure). Runs against this tree's code or,
run from an older checkout (before `Readings`, a dict per reading), that
one's, so two trees can be compared:

    .venv/bin/python bench/measurements/batch_python.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from workspace.db import utcnow  # noqa: E402
from workspace.trials import ingest_group, measurements  # noqa: E402
from workspace.trials.fold import fold_rows  # noqa: E402

METRICS = ("porosity_scrap_pct", "cycle_time_s", "tensile_mpa")
BODY = json.dumps(
    [{"metric": METRICS[i % 3], "value": 50.0 + (i % 17) / 10} for i in range(1000)]
).encode()
COLUMNS = hasattr(ingest_group, "Readings")


def one() -> None:
    rows, key = measurements.parse_body(BODY)
    batch = ingest_group.Batch.of(None, rows, key)  # type: ignore[arg-type]
    now = utcnow()
    if COLUMNS:
        r = batch.readings
        r.stamp(now)
        fold_rows({}, r)
        r.latest(50)
        _ = (r.metrics, r.values, r.times.count(r.times[0]), r.sources.count(None))
        r.counts()
        return
    rows = batch.rows  # the earlier layout: a dict per reading
    for row in rows:
        if row["recorded_at"] is None:
            row["recorded_at"] = now
    fold_rows({}, rows)
    ingest_group.sample(rows[-50:])
    at = rows[0]["recorded_at"]
    all(row["recorded_at"] is at for row in rows)
    sources = [row["source"] for row in rows]
    _ = ([row["metric"] for row in rows], [float(row["value"]) for row in rows])
    sources.count(None)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["metric"]] = counts.get(row["metric"], 0) + 1


def main() -> None:
    best = float("inf")
    for _ in range(30):
        started = time.process_time()
        for _ in range(50):
            one()
        best = min(best, (time.process_time() - started) / 50)
    layout = "columns" if COLUMNS else "a dict per reading"
    print(f"{best * 1e6:.0f} µs of Python a batch of 1,000 ({layout}; best of 30 × 50)")


if __name__ == "__main__":
    main()
