"""A compaction is queued through the after-commit mechanism, by whichever
path finds a document's tail long: a server-side edit (PUT text), a join
that loads a long tail another process stored without asking, a co-editing
update (tests/documents/test_sync.py). It is queued once the transaction has
committed, and not at all when it rolls back."""

from __future__ import annotations

import pytest

from jobs.queue import jobs
from tests.conftest import USE_REDIS, wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.documents.test_sync import stored_text, update_rows
from workspace.db import db
from workspace.documents import crdt, store


def queued_compaction(document_id: int) -> bool:
    # The RQ id is the namespaced job id, with ":" made "-", and a suffix.
    wanted = f"-compact-document-{document_id}-"
    return any(wanted in job_id for job_id in jobs.backend.queues["default"].job_ids)


def compacted(document_id: int) -> None:
    """The queued compaction ran: no worker runs in the Redis tests, so it
    is run here once it is found in the queue."""
    if USE_REDIS:
        assert queued_compaction(document_id)
        store.compact_document(document_id)
    wait_for(lambda: update_rows(document_id) == 0, timeout=20)


def store_a_long_tail(document_id: int, user_id: int) -> str:
    """COMPACT_AFTER rows stored as another process would, asking nothing."""
    doc = store.read_doc(document_id)
    with db.transaction() as s:
        for i in range(store.COMPACT_AFTER):
            update = crdt.capture(doc, lambda d, i=i: crdt.text_of(d).insert(0, "字😀"[i % 2]))
            store.append_update(s, document_id, update, user_id)
    assert update_rows(document_id) == store.COMPACT_AFTER
    return crdt.text_str(doc)


def test_a_rest_edit_on_a_long_tail_queues_a_compaction(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    text = store_a_long_tail(doc["id"], ws.owner.id)
    resp = api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": text + "。"})
    assert resp.status_code == 200
    compacted(doc["id"])
    assert stored_text(doc["id"]) == text + "。"


def test_a_join_that_loads_a_long_tail_queues_a_compaction(make, api, live_server):
    ws = make.workspace()
    doc = statement_of(api, ws)
    text = store_a_long_tail(doc["id"], ws.partner.id)
    peer = Peer(make.token(ws.owner), doc["id"], "joiner")
    peer.connect(live_server.url)
    assert peer.text() == text
    compacted(doc["id"])
    assert stored_text(doc["id"]) == text
    peer.disconnect()


def test_the_compaction_is_queued_after_the_commit_and_never_for_a_rollback(make, api):
    ws = make.workspace()
    doc = statement_of(api, ws)
    store_a_long_tail(doc["id"], ws.owner.id)
    due = store.Usage(0, store.COMPACT_AFTER, 0)
    with pytest.raises(RuntimeError), db.transaction() as s:
        store.note_usage(s, doc["id"], due)
        raise RuntimeError("rolled back")
    if USE_REDIS:
        assert not queued_compaction(doc["id"])
    else:
        assert jobs.backend.wait_idle(10)
        assert update_rows(doc["id"]) == store.COMPACT_AFTER
    store.forget_requests()  # the rolled-back ask is remembered for a few seconds
    with db.transaction() as s:
        store.note_usage(s, doc["id"], due)
        if USE_REDIS:
            assert not queued_compaction(doc["id"])
    compacted(doc["id"])
