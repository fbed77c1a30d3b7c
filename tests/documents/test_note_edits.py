"""The co-editing writer notes a batch's edits with one statement
(service.note_edits); what it leaves is what note_edit, one edit after the
other, leaves: the same document.edited events, in the same order, and the
same `updated_at`, `edited_event_at` and `pending_editors`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.documents.test_documents_api import events_of, statement_of
from tests.documents.test_group_commit import answer_document
from workspace.db import db, utcnow
from workspace.documents import service
from workspace.documents.models import Document

COLUMNS = ("updated_at", "edited_event_at", "pending_editors")


def columns(document_id: int) -> dict[str, Any]:
    with db.reading() as s:
        document = s.get(Document, document_id)
        return {c: getattr(document, c) for c in COLUMNS}


def test_a_batch_of_edits_leaves_what_one_edit_after_the_other_leaves(make, api, monkeypatch):
    ws = make.workspace()
    third = make.user(side="university", name="Third")
    make.add_member(ws, third, "editor")
    a, b, c = ws.owner, ws.partner, third
    alone = [statement_of(api, ws)["id"], answer_document(api, ws)["id"]]
    batched = [answer_document(api, ws)["id"], answer_document(api, ws)["id"]]
    # (seconds, editor, which document): the first edit is announced at once;
    # then new editors wait, a known one touches `updated_at` only every
    # TOUCH_EVERY, and a minute on the next edit names everyone waiting.
    script = [
        (0, a, 0),
        (0.5, b, 1),
        (1, b, 0),
        (1.5, a, 0),
        (2, c, 1),
        (2.5, b, 0),
        (4, a, 0),
        (4, b, 1),
        (61, c, 0),
        (62, a, 1),
        (70, b, 0),
        (130, a, 0),
    ]
    start = utcnow() - timedelta(hours=1)
    clock = iter([start + timedelta(seconds=t) for t, _, _ in script] * 2)
    monkeypatch.setattr(service, "utcnow", lambda: next(clock))
    since = len(events_of(api, ws, "document.edited"))

    with db.transaction() as s:  # as the writer did: note_edit for each, in order
        for _, who, n in script:
            service.note_edit(s, s.get(Document, alone[n]), who)
    with db.transaction() as s:
        documents = [s.get(Document, d) for d in batched]
        service.note_edits(s, [(documents[n], who) for _, who, n in script])
        assert not s.dirty  # written already, nothing left for the flush
        held = [{c: getattr(d, c) for c in COLUMNS} for d in documents]

    for n in (0, 1):
        assert columns(batched[n]) == columns(alone[n]) == held[n]
    edited = [
        (e["data"]["document"]["id"], e["data"]["editor_ids"])
        for e in events_of(api, ws, "document.edited")[since:]
    ]
    same = {alone[0]: batched[0], alone[1]: batched[1]}
    half = len(edited) // 2
    assert [(same[d], ids) for d, ids in edited[:half]] == edited[half:]
    assert [ids for d, ids in edited if d == batched[0]] == [
        [a.id],
        [b.id, a.id, c.id],
        [b.id, a.id],
    ]
