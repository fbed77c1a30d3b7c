"""Batches that queue while a trial is locked are stored together, over real
HTTP: one transaction for the group, yet each batch answered and logged as
if it had been committed alone; a refused one fails alone with its own
error; a key repeated within the group is a replay."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import event, select, text

from tests.conftest import wait_for
from tests.trials.factory import add_indicators, trial
from tests.trials.test_ingest_concurrent import (
    RECORDED,
    assert_stats_match_readings,
    batch_items,
    post,
)
from workspace.db import db, utcnow
from workspace.spaces import service as spaces
from workspace.trials import ingest_writer
from workspace.trials.models import Measurement, MeasurementBatch, Trial


@contextmanager
def trial_locked(trial_id: int) -> Iterator[None]:
    """The trial held by another writer: on PostgreSQL its row lock, from a
    connection of its own; on SQLite the process's write lock, which every
    writer takes before the row (this thread may still write meanwhile)."""
    if db.is_sqlite:
        with db.sqlite_write_lock:
            yield
        return
    assert db.engine is not None
    with db.engine.connect() as conn:
        conn.execute(select(Trial.id).where(Trial.id == trial_id).with_for_update())
        yield
        conn.rollback()


@contextmanager
def batch_commits() -> Iterator[list[int]]:
    """Commits of transactions that wrote measurement batches."""
    commits: list[int] = []

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO MEASUREMENT_BATCHES"):
            conn.info["jl_test_batches"] = True

    def committed(conn: Any) -> None:
        if conn.info.pop("jl_test_batches", False):
            commits.append(1)

    def rolled_back(conn: Any) -> None:
        conn.info.pop("jl_test_batches", None)

    listeners = (
        ("before_cursor_execute", executed),
        ("commit", committed),
        ("rollback", rolled_back),
    )
    for name, fn in listeners:
        event.listen(db.engine, name, fn)
    try:
        yield commits
    finally:
        for name, fn in listeners:
            event.remove(db.engine, name, fn)


def post_while_locked(
    base: str,
    trial_id: int,
    sends: list[tuple[str, list[dict]]],
    meanwhile: Callable[[], None] | None = None,
) -> list[requests.Response]:
    """Post each (token, items) while the trial is locked, one after another
    into the writer's queue (so the group holds them in this order); once all
    are queued run `meanwhile()` and let go. The answers, in order."""
    answers: list[Any] = [None] * len(sends)

    def send(i: int) -> None:
        answers[i] = post(base, sends[i][0], trial_id, sends[i][1])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    with trial_locked(trial_id):
        for n, thread in enumerate(threads):
            thread.start()
            wait_for(lambda n=n: ingest_writer.queued(trial_id) == n + 1, timeout=20)
        if meanwhile is not None:
            meanwhile()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def warm(base: str, token: str, trial_id: int) -> None:
    """A first call with the token: its last-used time is written then, not
    while the trial is locked."""
    resp = requests.get(
        f"{base}/api/v1/trials/{trial_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text


def stored_batches(trial_id: int) -> list[str | None]:
    """The client keys of the trial's batches, in the order stored."""
    with db.reading() as s:
        return list(
            s.scalars(
                select(MeasurementBatch.client_key)
                .where(MeasurementBatch.trial_id == trial_id)
                .order_by(MeasurementBatch.id)
            )
        )


def recorded_events(api: Any, ws: Any) -> list[dict]:
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events?limit=200").get_json()["items"]
    recorded = [e for e in events if e["type"] == RECORDED]
    assert [e["seq"] for e in recorded] == sorted(e["seq"] for e in recorded)
    return recorded


def running_trial(make: Any, api: Any, live_server: Any) -> tuple[Any, dict, str]:
    ws = make.workspace()
    add_indicators(api, ws)
    t = trial(api, ws, "running")
    token = make.token(ws.owner)
    warm(live_server.url, token, t["id"])
    return ws, t, token


def test_batches_queued_on_a_locked_trial_commit_in_one_transaction_each_answered_as_alone(
    make, api, live_server
):
    ws, t, token = running_trial(make, api, live_server)
    sends = [(token, batch_items(p, 0, 50)) for p in range(4)]
    keys = [items[0]["client_key"] for _, items in sends]
    with batch_commits() as commits:
        answers = post_while_locked(live_server.url, t["id"], sends)
    assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
    assert not any("Idempotent-Replayed" in r.headers for r in answers)
    assert len(commits) == 1  # one transaction stored the four batches
    if not db.is_sqlite:
        with db.reading() as s:
            xmins = s.scalars(
                select(text("xmin::text"))
                .select_from(MeasurementBatch)
                .where(MeasurementBatch.trial_id == t["id"])
            ).all()
        assert len(xmins) == 4 and len(set(xmins)) == 1
    assert stored_batches(t["id"]) == keys  # in the order they queued
    assert_stats_match_readings(t["id"])

    # Each answer is what the batch would have had committed alone, after
    # the ones queued before it: the aggregates of those batches and its own.
    recorded = recorded_events(api, ws)
    assert [e["data"]["client_key"] for e in recorded] == keys
    porosity: list[float] = []
    tensile: list[float] = []
    for (_, items), resp, logged in zip(sends, answers, recorded, strict=True):
        body = resp.json()
        porosity += [i["value"] for i in items if i["metric"] == "porosity_scrap_pct"]
        tensile += [i["value"] for i in items if i["metric"] == "tensile_mpa"]
        assert body["count"] == 50 and body["client_key"] == items[0]["client_key"]
        assert body["results"]["porosity_scrap_pct"]["value"] == pytest.approx(
            sum(porosity) / len(porosity)
        )
        assert body["results"]["tensile_mpa"]["value"] == min(tensile)
        assert logged["data"]["results"] == body["results"]
        assert logged["data"]["count"] == 50
    # Stamped as each was folded: a later batch of the group is never older.
    with db.reading() as s:
        rows = s.execute(
            select(MeasurementBatch.client_key, Measurement.recorded_at)
            .join(MeasurementBatch, MeasurementBatch.id == Measurement.batch_id)
            .where(Measurement.trial_id == t["id"])
            .order_by(Measurement.id)
        ).all()
    times = {key: at for key, at in rows}
    assert [times[k] for k in keys] == sorted(times[k] for k in keys)


def test_a_refused_batch_fails_alone_with_its_own_error_and_the_group_is_stored(
    make, api, live_server
):
    ws, t, token = running_trial(make, api, live_server)
    editor = make.user(name="Line Engineer")
    make.add_member(ws, editor, "editor")
    editor_token = make.token(editor)
    warm(live_server.url, editor_token, t["id"])
    unknown = [{"metric": "no_such_metric", "value": 1.0, "client_key": "bad"}]
    sends = [
        (token, batch_items(0, 0, 40)),
        (token, unknown),
        (editor_token, batch_items(1, 0, 40)),  # a viewer by the time it is stored
        (token, batch_items(2, 0, 40)),
    ]

    def demote() -> None:
        with db.transaction() as s:
            spaces.change_member_role(s, ws.owner, ws.id, editor.id, "viewer")

    with batch_commits() as commits:
        answers = post_while_locked(live_server.url, t["id"], sends, meanwhile=demote)
    assert [r.status_code for r in answers] == [201, 422, 403, 201], [r.text for r in answers]
    assert len(commits) == 1
    # Exactly the errors each would get alone now.
    for (sent_token, items), resp in zip(sends[1:3], answers[1:3], strict=True):
        alone = post(live_server.url, sent_token, t["id"], items)
        assert (alone.status_code, alone.json()) == (resp.status_code, resp.json())
    assert answers[1].json()["error"]["code"] == "unknown_metric"

    assert stored_batches(t["id"]) == ["p0-b0", "p2-b0"]
    stored = assert_stats_match_readings(t["id"])
    assert sum(len(rows) for rows in stored.values()) == 80
    recorded = recorded_events(api, ws)
    assert [e["data"]["client_key"] for e in recorded] == ["p0-b0", "p2-b0"]
    last = answers[3].json()
    assert recorded[-1]["data"]["results"] == last["results"]
    porosity = [
        i["value"]
        for _, items in (sends[0], sends[3])
        for i in items
        if i["metric"] == "porosity_scrap_pct"
    ]
    assert last["results"]["porosity_scrap_pct"]["value"] == pytest.approx(
        sum(porosity) / len(porosity)
    )


def test_a_client_key_repeated_within_a_group_is_a_replay_stored_once(make, api, live_server):
    ws, t, token = running_trial(make, api, live_server)
    first, other = batch_items(0, 0, 30), batch_items(1, 0, 30)
    sends = [(token, first), (token, other), (token, first)]
    answers = post_while_locked(live_server.url, t["id"], sends)
    assert [r.status_code for r in answers] == [201] * 3, [r.text for r in answers]
    assert [r.headers.get("Idempotent-Replayed") for r in answers] == [None, None, "true"]
    assert answers[2].json() == answers[0].json()  # the first answer, again
    assert stored_batches(t["id"]) == ["p0-b0", "p1-b0"]
    stored = assert_stats_match_readings(t["id"])
    assert sum(len(rows) for rows in stored.values()) == 60
    assert [e["data"]["client_key"] for e in recorded_events(api, ws)] == ["p0-b0", "p1-b0"]


def test_a_backfill_inside_a_group_refolds_what_the_group_stored_before_it(make, api, live_server):
    ws, t, token = running_trial(make, api, live_server)
    owner = api.as_(ws.owner)
    url = f"/trials/{t['id']}/measurements"
    early = [{"metric": "porosity_scrap_pct", "value": v} for v in (1.0, 1.4)]
    assert owner.post(url, json=early).status_code == 201
    past = utcnow() - timedelta(hours=1)
    backfill = [
        {
            "metric": "porosity_scrap_pct",
            "value": v,
            "recorded_at": (past + timedelta(seconds=i)).isoformat(),
            "client_key": "backfill",
        }
        for i, v in enumerate((2.0, 0.5))
    ]
    live = [{"metric": "porosity_scrap_pct", "value": v, "client_key": "live"} for v in (1.2,)]
    later = [{"metric": "porosity_scrap_pct", "value": v, "client_key": "later"} for v in (0.7,)]
    sends = [(token, live), (token, backfill), (token, later)]
    with batch_commits() as commits:
        answers = post_while_locked(live_server.url, t["id"], sends)
    assert [r.status_code for r in answers] == [201] * 3, [r.text for r in answers]
    assert len(commits) == 1
    stored = assert_stats_match_readings(t["id"])
    assert [v for v, _at, _b in stored["porosity_scrap_pct"]] == [2.0, 0.5, 1.0, 1.4, 1.2, 0.7]
    means = [
        (1.0 + 1.4 + 1.2) / 3,
        (1.0 + 1.4 + 1.2 + 2.0 + 0.5) / 5,
        (1.0 + 1.4 + 1.2 + 2.0 + 0.5 + 0.7) / 6,
    ]
    for resp, mean in zip(answers, means, strict=True):
        assert resp.json()["results"]["porosity_scrap_pct"]["value"] == pytest.approx(mean)


def test_a_group_of_differently_shaped_batches_stores_every_reading_as_sent(make, api, live_server):
    """One transaction (one INSERT on PostgreSQL: none goes back in time)
    holds a batch with a time and a source per reading (some sources missing,
    some not ASCII), one sharing a time it gave and a live one (no times, no
    sources): every reading keeps its batch, metric, value, time and source,
    in the order sent."""
    ws, t, token = running_trial(make, api, live_server)
    base = utcnow().replace(microsecond=0) - timedelta(hours=2)
    live = [
        {"metric": ("porosity_scrap_pct", "tensile_mpa")[i % 2], "value": 1.0 + i / 8}
        for i in range(6)
    ]
    backfill = [
        {
            "metric": "tensile_mpa",
            "value": 240.0 + i,
            "recorded_at": (base + timedelta(minutes=i)).isoformat(),
            "source": [None, "产线-3 压铸机", "line\t7", "PLC"][i % 4],
        }
        for i in range(5)
    ]
    shared = (base + timedelta(hours=1)).isoformat()
    together = [
        {"metric": "porosity_scrap_pct", "value": 0.5 + i, "recorded_at": shared} for i in range(3)
    ]
    sends = [(token, backfill), (token, together), (token, live)]
    answers = post_while_locked(live_server.url, t["id"], sends)
    assert [r.status_code for r in answers] == [201] * 3, [r.text for r in answers]
    with db.reading() as s:
        rows = s.execute(
            select(
                Measurement.batch_id,
                Measurement.metric,
                Measurement.value,
                Measurement.recorded_at,
                Measurement.source,
            )
            .where(Measurement.trial_id == t["id"])
            .order_by(Measurement.id)
        ).all()
        batch_ids = s.scalars(
            select(MeasurementBatch.id)
            .where(MeasurementBatch.trial_id == t["id"])
            .order_by(MeasurementBatch.id)
        ).all()
    assert len(batch_ids) == 3
    sent = [(b, item) for b, (_, items) in zip(batch_ids, sends, strict=True) for item in items]
    assert [(r.batch_id, r.metric, r.value, r.source) for r in rows] == [
        (b, i["metric"], i["value"], i.get("source")) for b, i in sent
    ]
    given = len(backfill) + len(together)
    assert [r.recorded_at.isoformat() for r in rows[:given]] == [
        datetime.fromisoformat(i["recorded_at"]).isoformat() for i in backfill + together
    ]
    stamped = {r.recorded_at for r in rows[given:]}
    assert len(stamped) == 1 and stamped.pop() > base + timedelta(hours=1)
    assert_stats_match_readings(t["id"])
