"""Batches for one trial arriving at once over real HTTP: every reading stored
once, the running aggregates equal a fold over the stored readings in
recorded order, the events in the order the batches were stored; identical
retries racing each other store once; a backfill still refolds."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests.trials.factory import add_indicators, trial
from workspace.db import db, utcnow
from workspace.trials.models import Measurement, MeasurementBatch, MetricStats

RECORDED = "trial.measurements_recorded"
METRICS = ("porosity_scrap_pct", "tensile_mpa")


def readings(trial_id: int) -> dict[str, list[Any]]:
    """Each metric's stored readings (value, time, batch), in recorded order."""
    out: dict[str, list[Any]] = {}
    with db.reading() as s:
        rows = s.execute(
            select(
                Measurement.metric, Measurement.value, Measurement.recorded_at, Measurement.batch_id
            )
            .where(Measurement.trial_id == trial_id)
            .order_by(Measurement.recorded_at, Measurement.id)
        ).all()
    for metric, value, at, batch_id in rows:
        out.setdefault(metric, []).append((value, at, batch_id))
    return out


def assert_stats_match_readings(trial_id: int) -> dict[str, list[Any]]:
    stored = readings(trial_id)
    with db.reading() as s:
        stats = {
            r.metric: r
            for r in s.scalars(select(MetricStats).where(MetricStats.trial_id == trial_id))
        }
    assert set(stats) == set(stored)
    # The readings have no foreign keys (migration 0016): their keys hold by
    # construction, each reading with a batch of its own trial.
    with db.reading() as s:
        strays = s.scalar(
            select(func.count())
            .select_from(Measurement)
            .outerjoin(MeasurementBatch, MeasurementBatch.id == Measurement.batch_id)
            .where(
                Measurement.trial_id == trial_id,
                (MeasurementBatch.id.is_(None)) | (MeasurementBatch.trial_id != trial_id),
            )
        )
    assert strays == 0
    for metric, rows in stored.items():
        values = [v for v, _at, _b in rows]
        st = stats[metric]
        assert st.count == len(values)
        assert st.total == pytest.approx(sum(values))
        assert (st.minimum, st.maximum) == (min(values), max(values))
        assert st.first_value == values[0]
        assert st.last_value == values[-1]
        assert st.last_recorded_at == rows[-1][1]
        ranges = sum(abs(b - a) for a, b in zip(values, values[1:], strict=False))
        assert st.moving_range_total == pytest.approx(ranges)
    return stored


def post(base: str, token: str, trial_id: int, items: list[dict]) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/trials/{trial_id}/measurements",
        json=items,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def batch_items(poster: int, n: int, size: int) -> list[dict]:
    key = f"p{poster}-b{n}"
    return [
        {
            "metric": METRICS[i % 2],
            "value": (1.0 + (poster * 7 + n * 3 + i) % 11 / 10)
            if i % 2 == 0
            else 250.0 + (poster + n + i) % 13,
            "client_key": key,
            "source": f"line-{poster}",
        }
        for i in range(size)
    ]


def test_four_posters_at_once_store_every_reading_once_in_order(make, api, live_server):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    token = make.token(ws.owner)
    per_poster, size = 6, 200
    sent: dict[str, list[dict]] = {}
    failures: list[str] = []
    start = threading.Barrier(4)

    def poster(p: int) -> None:
        session_items = [batch_items(p, n, size) for n in range(per_poster)]
        start.wait()
        for items in session_items:
            resp = post(live_server.url, token, t["id"], items)
            if resp.status_code != 201 or "Idempotent-Replayed" in resp.headers:
                failures.append(f"{resp.status_code} {resp.text[:200]}")
            sent[items[0]["client_key"]] = items

    threads = [threading.Thread(target=poster, args=(p,)) for p in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert failures == []
    assert len(sent) == 4 * per_poster

    stored = assert_stats_match_readings(t["id"])
    with db.reading() as s:
        batches = dict(
            s.execute(
                select(MeasurementBatch.id, MeasurementBatch.client_key).where(
                    MeasurementBatch.trial_id == t["id"]
                )
            ).all()
        )
        per_batch = dict(
            s.execute(
                select(Measurement.batch_id, func.count())
                .where(Measurement.trial_id == t["id"])
                .group_by(Measurement.batch_id)
            ).all()
        )
    assert sorted(batches.values()) == sorted(sent)  # each batch once
    assert all(per_batch[b] == size for b in batches)
    assert sum(len(rows) for rows in stored.values()) == 4 * per_poster * size

    # The events, in the log's order, are the order the batches were folded:
    # each one's results are those of the batches before it and itself.
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    recorded = [e for e in events if e["type"] == RECORDED]
    assert [e["seq"] for e in recorded] == sorted(e["seq"] for e in recorded)
    assert sorted(e["data"]["client_key"] for e in recorded) == sorted(sent)
    seen: list[float] = []
    lowest = float("inf")
    for e in recorded:
        items = sent[e["data"]["client_key"]]
        seen += [i["value"] for i in items if i["metric"] == "porosity_scrap_pct"]
        lowest = min([lowest] + [i["value"] for i in items if i["metric"] == "tensile_mpa"])
        results = e["data"]["results"]
        assert results["porosity_scrap_pct"]["value"] == pytest.approx(sum(seen) / len(seen))
        assert results["tensile_mpa"]["value"] == lowest
    # Readings sent without a time were stamped as their batch was stored: a
    # batch stored later is never older (no live batch looked like a backfill).
    order = {key: n for n, key in enumerate(e["data"]["client_key"] for e in recorded)}
    for rows in stored.values():
        positions = [order[batches[b]] for _v, _at, b in rows]
        assert positions == sorted(positions)

    shown = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert shown["results"] == recorded[-1]["data"]["results"]


def test_identical_retries_racing_each_other_store_the_batch_once(make, api, live_server):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    token = make.token(ws.owner)
    items = batch_items(0, 0, 300)
    start = threading.Barrier(4)
    answers: list[requests.Response] = []

    def retry() -> None:
        start.wait()
        answers.append(post(live_server.url, token, t["id"], items))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert [r.status_code for r in answers] == [201] * 4
    assert len({r.text for r in answers}) == 1  # the first answer, each time
    replayed = sorted(r.headers.get("Idempotent-Replayed", "") for r in answers)
    assert replayed == ["", "true", "true", "true"]
    with db.reading() as s:
        assert s.scalar(select(func.count()).where(MeasurementBatch.trial_id == t["id"])) == 1
    stored = assert_stats_match_readings(t["id"])
    assert sum(len(rows) for rows in stored.values()) == 300


def test_a_backfill_and_a_mixed_batch_refold_the_recorded_order(make, api):
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    owner = api.as_(ws.owner)
    url = f"/trials/{t['id']}/measurements"
    live = [{"metric": "porosity_scrap_pct", "value": v} for v in (1.0, 1.4, 1.1, 1.3)]
    assert owner.post(url, json=live).status_code == 201
    assert_stats_match_readings(t["id"])
    # Some readings of the past, with one sent without a time (stamped now)
    # and sources COPY must escape.
    past = utcnow() - timedelta(hours=1)
    mixed = [
        {
            "metric": "porosity_scrap_pct",
            "value": v,
            "recorded_at": (past + timedelta(seconds=i)).isoformat(),
            "source": "tab\there, new\nline, back\\slash",
        }
        for i, v in enumerate((2.0, 0.5, 1.7))
    ] + [{"metric": "porosity_scrap_pct", "value": 0.9, "source": "\\N"}]
    resp = owner.post(url, json=mixed)
    assert resp.status_code == 201, resp.get_json()
    stored = assert_stats_match_readings(t["id"])
    assert [v for v, _at, _b in stored["porosity_scrap_pct"]] == [
        2.0,
        0.5,
        1.7,
        1.0,
        1.4,
        1.1,
        1.3,
        0.9,
    ]
    values = [1.0, 1.4, 1.1, 1.3, 2.0, 0.5, 1.7, 0.9]
    assert resp.get_json()["results"]["porosity_scrap_pct"]["value"] == pytest.approx(
        sum(values) / len(values)
    )
    items = owner.get(f"{url}?limit=100").get_json()["items"]
    assert [i["source"] for i in items[-4:]] == [m["source"] for m in mixed]
    # Live again after the backfill: extends the order from the last reading.
    assert owner.post(url, json=live).status_code == 201
    assert_stats_match_readings(t["id"])
