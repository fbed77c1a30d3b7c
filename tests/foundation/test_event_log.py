"""The event log under concurrent writers: gap-free seq, ids visible in order."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.conftest import USE_PG
from workspace.db import db
from workspace.events.log import feed_events
from workspace.events.models import Event
from workspace.spaces import service


@pytest.mark.skipif(not USE_PG, reason="commit-order races need PostgreSQL's concurrency")
def test_concurrent_writers_never_leave_a_gap_and_readers_never_skip(make):
    ws = make.workspace()
    other = make.workspace()
    writers, per_writer = 6, 15
    seen: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_writer):
                target = ws if (n + i) % 3 else other
                with db.transaction() as s:
                    service.update_workspace(s, target.owner, target.id, {"summary": f"{n}-{i}"})
        except BaseException as err:  # surfaced below
            errors.append(err)

    def read() -> None:
        # A reader polling the global cursor must never be handed an id lower
        # than one it already has (that event would be lost for it).
        cursor = 0
        while not stop.is_set():
            with db.reading() as s:
                rows = feed_events(s, None, cursor, 1000)
            for row in rows:
                seen.append(row.id)
                cursor = row.id

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    reader.join()
    assert not errors, errors
    with db.reading() as s:
        rows = list(s.scalars(select(Event).order_by(Event.id)))
    for wid in (ws.id, other.id):
        seqs = [r.seq for r in rows if r.workspace_id == wid]
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        assert seqs == sorted(seqs), "seq order differs from id order"
    all_ids = [r.id for r in rows]
    assert seen == sorted(seen)
    # Everything committed before the reader's last poll was seen, with no hole.
    assert seen == all_ids[all_ids.index(seen[0]) : all_ids.index(seen[-1]) + 1]


def test_failed_transaction_leaves_no_event_and_no_gap(make, api):
    ws = make.workspace()
    with pytest.raises(RuntimeError), db.transaction() as s:
        service.update_workspace(s, ws.owner, ws.id, {"title": "rolled back"})
        raise RuntimeError("boom")
    api.as_(ws.owner).patch(f"/workspaces/{ws.id}", json={"title": "kept"})
    events = api.as_(ws.owner).get(f"/workspaces/{ws.id}/events").get_json()["items"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(
        e["data"].get("changes", {}).get("title", {}).get("to") != "rolled back" for e in events
    )
    feed = api.as_(ws.owner).get("/feed?types=workspace.*").get_json()["items"]
    assert [e["type"] for e in feed] == ["workspace.created", "workspace.updated"]
