"""Group commit over real Socket.IO clients: updates of one document that
arrive together are committed in one transaction, and still each one is
acknowledged only once it is stored, fails on its own, and reaches everyone.

To have a batch without relying on timing, the test holds the document's
live lock (the commit of the update before, as it were) while every client
sends, waits until all of them are queued behind it, and lets go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Insert, event, func, select

from tests.conftest import wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from workspace.db import db
from workspace.documents import crdt, store, writer
from workspace.documents.group_commit import GroupCommit
from workspace.documents.live import registry
from workspace.documents.models import Document, DocumentUpdate
from workspace.events.models import Event


def stored_text(document_id: int) -> str:
    return crdt.text_str(store.read_doc(document_id))


@contextmanager
def commits_storing_updates() -> Iterator[list[int]]:
    """How many update rows each transaction committed in this process (the
    tests' server runs in it) inserted, rows of savepoints that were rolled
    back included; through the ORM or Core alike (store.append_updates is
    Core)."""
    commits: list[int] = []

    def executed(conn: Connection, element: Any, multiparams: Any, *_: Any) -> None:
        if isinstance(element, Insert) and element.table is DocumentUpdate.__table__:
            rows = len(multiparams) or 1
            conn.info["test_update_rows"] = conn.info.get("test_update_rows", 0) + rows

    def committed(conn: Connection) -> None:
        rows = conn.info.pop("test_update_rows", 0)
        if rows:
            commits.append(rows)

    def rolled_back(conn: Connection) -> None:
        conn.info.pop("test_update_rows", None)

    hooks = [("after_execute", executed), ("commit", committed), ("rollback", rolled_back)]
    for name, fn in hooks:
        event.listen(Engine, name, fn)
    try:
        yield commits
    finally:
        for name, fn in hooks:
            event.remove(Engine, name, fn)


def send_all_at_once(
    document_id: int, peers: list[Peer], updates: list[bytes], on_ack: Any
) -> list[dict[str, Any]]:
    """Send one update from each peer while the document's writer is held,
    release it once all are queued; the acks, in the peers' order."""
    return send_while_held([document_id], peers, updates, on_ack=on_ack)


def send_while_held(
    document_ids: list[int],
    peers: list[Peer],
    updates: list[bytes],
    on_ack: Any = None,
    meanwhile: Any = None,
) -> list[dict[str, Any]]:
    """Send one update from each peer while the live copies of `document_ids`
    are held (the commit of the batch before, as it were); once all are
    queued, run `meanwhile()` and let go. The acks, in the peers' order."""
    lives = [registry.get(document_id) for document_id in document_ids]
    assert all(live is not None for live in lives)
    acks: list[Any] = [None] * len(peers)

    def send(i: int) -> None:
        acks[i] = peers[i].send_raw(updates[i])
        if on_ack is not None:
            on_ack(i, acks[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(peers))]
    with ExitStack() as held:
        for live in lives:
            held.enter_context(live.lock)  # type: ignore[union-attr]
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(map(writer.queued, document_ids)) == len(peers), timeout=20)
        if meanwhile is not None:
            meanwhile()
    for thread in threads:
        thread.join(timeout=30)
    return acks


def answer_document(api: Any, ws: Any) -> dict[str, Any]:
    """A second document of the workspace, beside its problem statement."""
    return (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "Answer", "text": "answer body"})
        .get_json()
    )


def marked_updates(peers: list[Peer]) -> tuple[list[str], list[bytes]]:
    """For each peer, a marker and the update inserting it at the start."""
    markers = [f"«{i}»" for i in range(len(peers))]
    updates = [
        crdt.capture(p.doc, lambda d, m=m: crdt.text_of(d).insert(0, m))
        for p, m in zip(peers, markers, strict=True)
    ]
    return markers, updates


def row_count(document_id: int) -> int:
    with db.reading() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(DocumentUpdate)
                .where(DocumentUpdate.document_id == document_id)
            )
            or 0
        )


def edited_by(workspace_id: int, document_id: int, after_event: int) -> set[int]:
    """Who the log says edited the document since `after_event`, with those
    still pending for the next document.edited event."""
    with db.reading() as s:
        events = s.scalars(
            select(Event).where(
                Event.workspace_id == workspace_id,
                Event.type == "document.edited",
                Event.id > after_event,
            )
        ).all()
        pending = s.get(Document, document_id).pending_editors or []
    ids = {e["id"] for e in pending}
    for ev in events:
        ids.update(ev.data["editor_ids"])
    return ids


def last_event_id() -> int:
    with db.reading() as s:
        return s.scalar(select(func.max(Event.id))) or 0


def test_twenty_editors_at_once_one_commit_each_ack_after_it_and_a_viewer_refused(
    make, api, live_server
):
    viewer = make.user(side="university", name="Viewer")
    ws = make.workspace(members={"viewer": viewer})
    doc = statement_of(api, ws)
    authors = [ws.owner if i % 2 == 0 else ws.partner for i in range(20)]
    peers = [Peer(make.token(user), doc["id"], f"p{i}") for i, user in enumerate(authors)]
    peers.append(Peer(make.token(viewer), doc["id"], "viewer"))
    for peer in peers:
        assert peer.connect(live_server.url)["ok"] is True
    markers = [f"«{i:02d}改»" for i in range(len(peers))]
    updates = [
        crdt.capture(p.doc, lambda d, m=m: crdt.text_of(d).insert(0, m))
        for p, m in zip(peers, markers, strict=True)
    ]
    rows, since = row_count(doc["id"]), last_event_id()
    seen_at_ack: dict[int, bool] = {}

    def on_ack(i: int, ack: dict[str, Any]) -> None:
        # What the client was told ok about is in the database by then.
        if ack.get("ok"):
            seen_at_ack[i] = markers[i] in stored_text(doc["id"])

    with commits_storing_updates() as commits:
        acks = send_all_at_once(doc["id"], peers, updates, on_ack)

    assert acks[:20] == [{"ok": True}] * 20
    assert acks[20]["ok"] is False and acks[20]["error"]["code"] == "forbidden"
    assert seen_at_ack == dict.fromkeys(range(20), True)
    # All twenty in one transaction, the viewer's in none.
    assert commits == [20]
    assert row_count(doc["id"]) == rows + 20
    # Everyone converges on the same text, holding every editor's insert
    # and not the viewer's; so do the REST API and a newcomer.
    text = stored_text(doc["id"])
    assert all(m in text for m in markers[:20]) and markers[20] not in text
    wait_for(lambda: all(p.text() == text for p in peers[:20]))
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == text
    late = Peer(make.token(ws.partner), doc["id"], "late")
    late.connect(live_server.url)
    assert late.text() == text
    # Each author's edit is in the log, under its own name.
    assert edited_by(ws.id, doc["id"], since) == {ws.owner.id, ws.partner.id}
    for peer in [*peers, late]:
        peer.disconnect()


def test_an_update_over_the_size_limit_fails_alone_in_its_batch(make, api, live_server):
    ws = make.workspace()
    doc = statement_of(api, ws)
    peers = [
        Peer(make.token(ws.owner if i % 2 else ws.partner), doc["id"], f"p{i}") for i in range(6)
    ]
    for peer in peers:
        peer.connect(live_server.url)
    markers = [f"<{i}>" for i in range(5)]
    updates = [
        crdt.capture(p.doc, lambda d, m=m: crdt.text_of(d).insert(0, m))
        for p, m in zip(peers, markers, strict=False)
    ]
    # One update of the batch would take the text past 1 MB.
    big = "溢" * 360_000  # 1,080,000 bytes of UTF-8
    updates.insert(2, crdt.capture(peers[5].doc, lambda d: crdt.text_of(d).insert(0, big)))
    order = [peers[0], peers[1], peers[5], peers[2], peers[3], peers[4]]
    rows = row_count(doc["id"])

    with commits_storing_updates() as commits:
        acks = send_all_at_once(doc["id"], order, updates, lambda i, ack: None)

    assert acks[2]["ok"] is False and acks[2]["error"]["code"] == "document_too_large"
    assert [a for i, a in enumerate(acks) if i != 2] == [{"ok": True}] * 5
    assert len(commits) == 1  # the others still went in together
    assert row_count(doc["id"]) == rows + 5
    text = stored_text(doc["id"])
    assert all(m in text for m in markers) and big not in text
    # The live document the refused update had reached was rebuilt: the
    # others and a newcomer get the stored text, without it.
    wait_for(lambda: all(p.text() == text for p in peers[:5]))
    late = Peer(make.token(ws.partner), doc["id"], "late")
    late.connect(live_server.url)
    assert late.text() == text
    # Its sender is told, keeps its text, and the others' edits reached it.
    assert all(m in peers[5].text() for m in markers)
    for peer in [*peers, late]:
        peer.disconnect()


def test_a_refused_leader_fails_alone_and_the_next_update_does_not_wait_for_a_batch():
    """The writer itself, with threads as the tests' server and operator
    commands run it: the handler that led a batch may be the one refused."""
    batches: list[list[str]] = []
    hold = threading.Event()

    def commit(_key: Any, take: Any) -> None:
        if not batches:
            hold.wait(10)  # the first leader is slow: the others queue meanwhile
        batch = []
        while (item := take()) is not None:
            batch.append(item.payload)
            if item.payload == "refused":
                item.fail(ValueError("refused"))
            else:
                item.resolve()
        batches.append(batch)

    writers: GroupCommit[str] = GroupCommit(commit)
    outcomes: dict[str, str] = {}

    def submit(payload: str) -> None:
        try:
            writers.submit(7, payload)
            outcomes[payload] = "ok"
        except ValueError as err:
            outcomes[payload] = str(err)

    first = threading.Thread(target=submit, args=("refused",))
    first.start()
    wait_for(lambda: writers.queued(7) == 1)  # it leads, and waits inside commit
    others = [threading.Thread(target=submit, args=(p,)) for p in ("a", "b", "c")]
    for thread in others:
        thread.start()
    wait_for(lambda: writers.queued(7) == 4)
    hold.set()
    for thread in [first, *others]:
        thread.join(10)
    # The leader took its own update first, then those that queued behind it.
    assert len(batches) == 1 and batches[0][0] == "refused"
    assert sorted(batches[0][1:]) == ["a", "b", "c"]
    assert outcomes == {"refused": "refused", "a": "ok", "b": "ok", "c": "ok"}
    # A lone update leads a batch of its own at once.
    submit("alone")
    assert batches[-1] == ["alone"] and outcomes["alone"] == "ok"
    assert writers.queued(7) == 0


def test_updates_to_several_documents_arriving_together_share_one_commit(make, api, live_server):
    """One writer per process: the batch is not per document. Each document
    still gets only its own updates, merged, and its own room only them."""
    ws = make.workspace()
    first = statement_of(api, ws)
    second = answer_document(api, ws)
    doc_ids = [first["id"], second["id"]] * 3
    peers = [
        Peer(make.token(ws.owner if i % 2 == 0 else ws.partner), doc_id, f"p{i}")
        for i, doc_id in enumerate(doc_ids)
    ]
    for peer in peers:
        assert peer.connect(live_server.url)["ok"] is True
    seen: dict[int, set[int]] = {i: set() for i in range(len(peers))}
    for i, peer in enumerate(peers):
        assert peer.client is not None
        peer.client.on(
            "doc:update",
            lambda msg, i=i, peer=peer: (seen[i].add(msg["document_id"]), peer._on_remote(msg)),
        )
    markers, updates = marked_updates(peers)
    with commits_storing_updates() as commits:
        acks = send_while_held([first["id"], second["id"]], peers, updates)

    assert acks == [{"ok": True}] * len(peers)
    assert commits == [len(peers)]  # both documents, one transaction
    texts = {doc_id: stored_text(doc_id) for doc_id in (first["id"], second["id"])}
    for i, doc_id in enumerate(doc_ids):
        assert markers[i] in texts[doc_id]
        assert not any(
            markers[j] in texts[doc_id] for j in range(len(peers)) if doc_ids[j] != doc_id
        )
    wait_for(lambda: all(p.text() == texts[p.document_id] for p in peers))
    # Relays went to each document's own room only.
    assert all(seen[i] <= {doc_ids[i]} for i in seen)
    for peer in peers:
        peer.disconnect()


def test_an_update_queued_before_its_token_was_revoked_is_not_stored(make, api, live_server):
    """The credential is re-checked in the transaction that would store the
    update, not only when the call arrived."""
    from workspace.auth.models import ApiToken
    from workspace.db import utcnow

    ws = make.workspace()
    doc = statement_of(api, ws)
    token = make.token(ws.partner)
    peer = Peer(token, doc["id"], "revoked")
    assert peer.connect(live_server.url)["ok"] is True
    update = crdt.capture(peer.doc, lambda d: crdt.text_of(d).insert(0, "«after revoke»"))
    rows = row_count(doc["id"])
    live = registry.get(doc["id"])
    assert live is not None
    ack: dict[str, Any] = {}
    sender = threading.Thread(target=lambda: ack.update(peer.send_raw(update)))
    with live.lock:
        sender.start()
        wait_for(lambda: writer.queued(doc["id"]) == 1, timeout=20)
        # Revoked in the database only, as another process would: no notice
        # reaches this one before the writer runs.
        with db.transaction() as s:
            for row in s.scalars(select(ApiToken).where(ApiToken.user_id == ws.partner.id)):
                row.revoked_at = utcnow()
    sender.join(timeout=30)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_token"
    assert ack["error"]["reason"] == "token_revoked"
    assert row_count(doc["id"]) == rows
    assert "«after revoke»" not in stored_text(doc["id"])
    wait_for(lambda: not peer.online, timeout=20)  # and the connection is closed
