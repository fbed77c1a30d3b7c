"""The one after-commit mechanism (workspace/events/after_commit.py): what
runs, when, and what a rollback (or a savepoint's) takes away."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from sqlalchemy import select

from workspace.db import db
from workspace.events import after_commit
from workspace.events import types as ev
from workspace.events.bus import bus
from workspace.events.log import record_event
from workspace.events.models import Event


def _workspace_title(workspace_id: int) -> str | None:
    from workspace.spaces.models import Workspace

    with db.reading() as s:
        ws = s.get(Workspace, workspace_id)
        return None if ws is None else ws.title


def test_commit_runs_each_callback_once_after_the_rows_are_visible(app, make):
    ws = make.workspace()
    seen: list[Any] = []
    with db.transaction() as s:
        from workspace.spaces.models import Workspace

        s.get(Workspace, ws.id).title = "Renamed"
        # Another session sees the new title only once it has committed.
        after_commit.on_commit(s, "title", lambda: seen.append(_workspace_title(ws.id)))
        after_commit.on_commit(s, "title", lambda: seen.append("registered twice"))
        after_commit.on_commit(s, None, lambda: seen.append("second"))
        after_commit.collect(s, "batch", 1, lambda items: seen.append(items))
        after_commit.collect(s, "batch", 2, lambda items: seen.append(("other", items)))
        assert seen == []
    assert seen == ["Renamed", "second", [1, 2]]
    with db.transaction() as s:
        s.get(Workspace, ws.id)
    assert seen == ["Renamed", "second", [1, 2]]  # once, not at the next commit


def test_rollback_drops_everything_registered(app, make):
    seen: list[str] = []
    with pytest.raises(RuntimeError), db.transaction() as s:
        after_commit.on_commit(s, None, lambda: seen.append("callback"))
        after_commit.enqueue(s, "tests.events.test_after_commit.never", job_id="never")
        raise RuntimeError("refused")
    with db.transaction() as s:
        after_commit.on_commit(s, None, lambda: seen.append("later"))
    assert seen == ["later"]


def test_a_session_closed_without_commit_keeps_nothing_for_later(app):
    seen: list[str] = []
    s = db.session()
    s.connection()
    after_commit.on_commit(s, None, lambda: seen.append("stale"))
    s.close()
    s.connection()
    s.commit()
    s.close()
    assert seen == []


def test_a_savepoint_rollback_drops_only_what_it_registered(app, make):
    ws = make.workspace()
    seen: list[str] = []
    published: list[list[dict]] = []
    bus.subscribe(published.append, remote=False)
    with db.transaction() as s:
        record_event(s, ws.id, ev.WORKSPACE_UPDATED, {"where": "outer"})
        after_commit.on_commit(s, None, lambda: seen.append("outer"))
        with pytest.raises(RuntimeError), s.begin_nested():
            record_event(s, ws.id, ev.WORKSPACE_UPDATED, {"where": "rolled back"})
            after_commit.on_commit(s, None, lambda: seen.append("rolled back"))
            after_commit.on_commit(s, "key", lambda: seen.append("key, rolled back"))
            raise RuntimeError("savepoint refused")
        with s.begin_nested():
            after_commit.on_commit(s, None, lambda: seen.append("released"))
            after_commit.on_commit(s, "key", lambda: seen.append("key, released"))
            with pytest.raises(RuntimeError), s.begin_nested():
                after_commit.on_commit(s, None, lambda: seen.append("inner rolled back"))
                raise RuntimeError("inner refused")
        # A released savepoint's work waits for the outer commit.
        assert seen == []
        record_event(s, ws.id, ev.WORKSPACE_UPDATED, {"where": "after"})
    assert seen == ["outer", "released", "key, released"]
    with db.reading() as s:
        data = [
            e.data
            for e in s.scalars(
                select(Event)
                .where(Event.workspace_id == ws.id, Event.type == ev.WORKSPACE_UPDATED)
                .order_by(Event.seq)
            )
        ]
    assert data == [{"where": "outer"}, {"where": "after"}]
    mine = [
        e["data"]
        for batch in published
        for e in batch
        if e["workspace_id"] == ws.id and e["type"] == ev.WORKSPACE_UPDATED
    ]
    assert mine == data  # published once, after the commit


def test_callbacks_run_after_the_write_lock_is_released(app):
    free: list[bool] = []

    def probe() -> None:
        other = threading.Thread(target=lambda: free.append(_try_lock()))
        other.start()
        other.join()

    with db.transaction() as s:
        after_commit.on_commit(s, None, probe)
    assert free == [True]


def _try_lock() -> bool:
    lock = db.sqlite_write_lock
    if not lock.acquire(timeout=2):
        return False
    lock.release()
    return True


def test_a_failing_callback_is_logged_and_the_others_run(app, caplog):
    seen: list[str] = []

    def fails() -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, "workspace.events.after_commit"), db.transaction() as s:
        after_commit.on_commit(s, None, fails)
        after_commit.on_commit(s, None, lambda: seen.append("ran"))
    assert seen == ["ran"]
    assert "after-commit callback" in caplog.text


def test_jobs_are_queued_after_commit_and_a_queue_that_is_down_fails_nothing(app, monkeypatch):
    from jobs.queue import jobs

    asked: list[tuple] = []
    monkeypatch.setattr(
        jobs.backend, "enqueue", lambda path, *args, **kw: asked.append((path, args, kw))
    )
    with db.transaction() as s:
        after_commit.enqueue(s, "a.job", 7, job_id="job-7", queue="email")
        after_commit.wake(s, count=250)
        after_commit.wake(s, delay=30)
        after_commit.wake(s, delay=30)  # the same whole second (ceil of now + 30)
        assert asked == []
    assert asked[0] == ("a.job", (7,), {"job_id": "job-7", "queue": "email"})
    drains = [kw["job_id"] for _path, _args, kw in asked[1:]]
    # 250 due now: three drain slots; the two "later" in one second: one drain.
    # (30 and 30.2 s could straddle a second boundary: then two drains, rightly.)
    assert drains[:3] == ["webhooks:drain:0", "webhooks:drain:1", "webhooks:drain:2"]
    assert len(drains) == 4 and drains[3].startswith("webhooks:drain:at:")

    def down(*_a: Any, **_kw: Any) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(jobs.backend, "enqueue", down)
    with db.transaction() as s:
        after_commit.enqueue(s, "a.job", 8, job_id="job-8")
        after_commit.wake(s)
