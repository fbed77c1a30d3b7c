"""A batch costs the same however many readings its trial already holds, and
what a user sees (live results, outcome, control-chart alerts, the watchers'
event) stays right for a trial holding many."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import websocket
from sqlalchemy import event, insert

from realtime import feed
from tests.conftest import wait_for
from tests.trials.control_test_helpers import CYCLE
from tests.trials.factory import add_indicators, measure, set_status, trial
from workspace.db import db, utcnow
from workspace.trials import ingest_writer
from workspace.trials.models import Measurement, MetricStats
from workspace.trials.readings import Readings
from workspace.trials.spc import Limits, limits_of, sigma_from_moving_range

SEEDED = 20_000
RECORDED = "trial.measurements_recorded"


def seed(trial_id: int, values: list[float], metric: str = "cycle_time_s") -> None:
    """Readings of the past written straight into the tables (fast), with the
    running aggregates a line posting them one batch at a time would leave."""
    start = utcnow() - timedelta(hours=2)
    rows = [
        {
            "trial_id": trial_id,
            "batch_id": None,
            "metric": metric,
            "value": v,
            "recorded_at": start + timedelta(milliseconds=i),
            "source": "seed",
        }
        for i, v in enumerate(values)
    ]
    with db.transaction() as s:
        s.execute(insert(Measurement.__table__), rows)
        s.add(
            MetricStats(
                trial_id=trial_id,
                metric=metric,
                count=len(values),
                total=sum(values),
                minimum=min(values),
                maximum=max(values),
                last_value=values[-1],
                last_recorded_at=rows[-1]["recorded_at"],
                first_value=values[0],
                moving_range_total=sum(
                    abs(b - a) for a, b in zip(values, values[1:], strict=False)
                ),
            )
        )


def limits_from_readings(values: list[float]) -> Limits | None:
    """The limits from the readings themselves: what the running aggregates
    (control.baseline_limits) must agree with."""
    sigma = sigma_from_moving_range(values)
    return None if sigma is None else limits_of(sum(values) / len(values), sigma)


def alerts(api: Any, ws: Any) -> list[dict]:
    items = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    return [e for e in items if e["type"] == "trial.alert"]


def baseline(api: Any, ws: Any, values: list[float]) -> dict:
    base = trial(api, ws, "running")
    seed(base["id"], values)
    set_status(api, ws, base["id"], "completed")
    assert (
        api.as_(ws.owner).patch(f"/trials/{base['id']}", json={"baseline": True}).status_code == 200
    )
    return base


def test_a_trial_holding_many_readings_gets_right_results_outcome_and_alerts(make, api):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)  # mean cycle time <= 62 s
    base_values = [60.0 + (i % 2) for i in range(SEEDED)]
    baseline(api, ws, base_values)
    t = trial(api, ws, "running")
    old = [60.4 + (i % 3) / 10 for i in range(SEEDED)]
    seed(t["id"], old)

    resp = measure(api, ws, t["id"], {"cycle_time_s": [60.4, 60.6]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["results"]["cycle_time_s"]["value"] == pytest.approx(
        (sum(old) + 121.0) / (SEEDED + 2)
    )
    assert body["outcome"] == "passed"
    assert alerts(api, ws) == []

    resp = measure(api, ws, t["id"], {"cycle_time_s": [63.9, 64.5]})
    assert resp.status_code == 201
    got = alerts(api, ws)
    assert len(got) == 1
    expected = limits_from_readings(base_values)
    assert expected is not None
    data = got[0]["data"]
    assert data["value"] == 63.9 and 1 in data["rules"]
    assert data["ucl"] == pytest.approx(expected.ucl)
    assert data["centre"] == pytest.approx(expected.centre)

    # One reading far out moves the mean of 20,004 over the target.
    resp = measure(api, ws, t["id"], {"cycle_time_s": [50_000.0]})
    assert resp.get_json()["outcome"] == "failed"
    shown = api.as_(ws.owner).get(f"/trials/{t['id']}").get_json()
    assert shown["outcome"] == "failed"
    assert shown["results"]["cycle_time_s"]["value"] == pytest.approx(
        (sum(old) + 121.0 + 128.4 + 50_000.0) / (SEEDED + 5)
    )
    # At completion the fixed results are the same figures.
    done = set_status(api, ws, t["id"], "completed")
    assert done["outcome"] == "failed"


def test_a_backfilled_batch_keeps_the_control_limits_in_recorded_order(make, api):
    """Readings recorded before the last ones land inside the recorded order:
    a baseline's limits are the same as read from its readings in that order."""
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    base = trial(api, ws, "running")
    at = utcnow()
    first = [
        {
            "metric": "cycle_time_s",
            "value": v,
            "recorded_at": (at + timedelta(seconds=i)).isoformat(),
        }
        for i, v in enumerate([60, 62, 60, 62])
    ]
    early = [
        {
            "metric": "cycle_time_s",
            "value": v,
            "recorded_at": (at - timedelta(seconds=10 - i)).isoformat(),
        }
        for i, v in enumerate([61, 59, 61])
    ]
    assert measure(api, ws, base["id"], first).status_code == 201
    assert measure(api, ws, base["id"], early).status_code == 201
    set_status(api, ws, base["id"], "completed")
    api.as_(ws.owner).patch(f"/trials/{base['id']}", json={"baseline": True})
    t = trial(api, ws, "running")
    measure(api, ws, t["id"], {"cycle_time_s": [80.0]})
    data = alerts(api, ws)[0]["data"]
    expected = limits_from_readings([61, 59, 61, 60, 62, 60, 62])
    assert expected is not None
    assert data["ucl"] == pytest.approx(expected.ucl)


def statements_of_one_post(api: Any, ws: Any, trial_id: int, values: list[float]) -> int:
    """SQL statements the request's own thread runs for one batch."""
    me = threading.get_ident()
    count = [0]

    def counted(*_args: Any) -> None:
        if threading.get_ident() == me:
            count[0] += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        resp = measure(api, ws, trial_id, {"cycle_time_s": values})
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert resp.status_code == 201, resp.get_json()
    return count[0]


def test_statements_per_batch_do_not_grow_with_the_readings_a_trial_holds(make, api):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    baseline(api, ws, [60.0 + (i % 2) for i in range(SEEDED)])
    empty = trial(api, ws, "running")
    full = trial(api, ws, "running")
    seed(full["id"], [60.5] * SEEDED)
    batch = [60.0 + (i % 7) / 10 for i in range(1000)]
    measure(api, ws, empty["id"], {"cycle_time_s": [60.5]})  # both have a stats row

    on_empty = statements_of_one_post(api, ws, empty["id"], batch)
    on_full = statements_of_one_post(api, ws, full["id"], batch)
    assert on_full == on_empty
    # and again, once the trial holds another thousand
    assert statements_of_one_post(api, ws, full["id"], batch) == on_full


def test_a_watcher_gets_one_event_per_batch_with_the_running_figures(make, api, sio):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    t = trial(api, ws, "running")
    old = [61.0] * SEEDED
    seed(t["id"], old)
    watcher = sio.connect(token=make.token(ws.manager, ("read",)))
    assert watcher.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]

    batches = [[60.0 + (i % 5) / 10 for i in range(1000)], [62.0] * 400, [59.0, 59.5]]
    for values in batches:
        assert measure(api, ws, t["id"], {"cycle_time_s": values}).status_code == 201
    got = wait_for(
        lambda: (lambda r: r if len(r) >= 3 else None)(
            [e for e in watcher.received if e["type"] == RECORDED]
        )
    )
    time.sleep(0.3)  # nothing more comes
    got = [e for e in watcher.received if e["type"] == RECORDED]
    assert [e["data"]["count"] for e in got] == [1000, 400, 2]
    seen = list(old)
    for e, values in zip(got, batches, strict=True):
        seen += values
        assert e["data"]["results"]["cycle_time_s"]["value"] == pytest.approx(sum(seen) / len(seen))
        assert [r["value"] for r in e["data"]["latest"]] == values[-50:]


class SlowWatcher(threading.Thread):
    """A Socket.IO watcher on a raw WebSocket with a small receive buffer that
    pauses after every frame: it falls behind the server, but stays alive
    (answers pings). python-socketio's client cannot be slowed: it runs each
    event handler in a thread of its own."""

    def __init__(self, base_url: str, token: str, workspace_id: int, pause: float) -> None:
        super().__init__(daemon=True)
        url = base_url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(
            url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),), timeout=30
        )
        assert self.ws.recv().startswith("0")  # engine.io open
        self.ws.send("40" + json.dumps({"token": token}))
        assert self.ws.recv().startswith("40")  # namespace connected
        self.ws.send("421" + json.dumps(["feed:subscribe", {"workspace_id": workspace_id}]))
        assert self.ws.recv().startswith("431")  # the ack
        self.pause = pause
        self.events: list[dict] = []
        self.closed = False
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception:
                self.closed = True
                return
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith("42"):
                name, envelope = json.loads(frame[2:])
                if name == "event":
                    self.events.append(envelope)
            elif not frame:
                self.closed = True
                return
            time.sleep(self.pause)


def test_watchers_that_read_slowly_still_receive_every_event(
    make, api, sio, live_server, monkeypatch, caplog
):
    """A watcher falling behind is caught up from the log at its pace, not
    dropped: each gets every batch's event, once, in order."""
    caplog.set_level(logging.INFO, logger="realtime.feed")
    monkeypatch.setattr(feed, "LIVE_BACKLOG_PACKETS", 20)
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    t = trial(api, ws, "running")
    token = make.token(ws.manager, ("read",))
    slow = [SlowWatcher(live_server.url, token, ws.id, pause=0.005) for _ in range(3)]
    for watcher in slow:
        watcher.start()
    fast = sio.connect(token=token)
    assert fast.call("feed:subscribe", {"workspace_id": ws.id}, timeout=10)["ok"]

    # Bursts: many batches committed at once reach the feed together; their
    # events carry 50 readings each (~4 KB), far more than the slow ones' buffers.
    keys = []
    try:
        for burst in range(3):
            with db.transaction() as s:
                for i in range(60):
                    keys.append(f"b{burst}-{i}")
                    rows = [
                        {
                            "metric": "cycle_time_s",
                            "value": 60.0 + j / 100,
                            "recorded_at": utcnow(),
                            "source": "PLC-7",
                        }
                        for j in range(60)
                    ]
                    readings = Readings.of_rows(rows)
                    ingest_writer.record_measurements(s, ws.owner, t["id"], readings, keys[-1])
        for watcher in slow:
            wait_for(
                lambda w=watcher: len([e for e in w.events if e["type"] == RECORDED]) >= len(keys),
                timeout=90,
            )
        wait_for(lambda: len([e for e in fast.received if e["type"] == RECORDED]) >= len(keys))
        time.sleep(0.3)
        for watcher in slow:
            # On the wire, in commit order, each once.
            assert [
                e["data"]["client_key"] for e in watcher.events if e["type"] == RECORDED
            ] == keys
            assert not watcher.closed
        # python-socketio hands each event to a thread of its own: no order.
        assert Counter(
            e["data"]["client_key"] for e in fast.received if e["type"] == RECORDED
        ) == Counter(keys)
        assert "catching up from the log" in caplog.text
    finally:
        for watcher in slow:
            watcher.stop.set()
            watcher.ws.close()
