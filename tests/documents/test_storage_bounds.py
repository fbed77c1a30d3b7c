"""What one document may cost: junk after an update is refused before it is
stored or relayed, the bytes a document stores stay under
DOCUMENT_MAX_STORED_BYTES through compaction (and nothing anyone wrote is
lost), what cannot fit even after compaction is refused naming the limit, and
the documents a web process keeps open stay within their bounds."""

from __future__ import annotations

import os

import pytest

from jobs.queue import jobs
from tests.conftest import USE_REDIS, wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of
from tests.documents.test_sync import stored_text, update_rows
from workspace.config import ConfigError, load_settings
from workspace.db import db
from workspace.documents import crdt, store
from workspace.documents.live import registry
from workspace.documents.models import DocumentSnapshot, DocumentUpdate

SMALL_LIMIT = 64 * 1024


@pytest.fixture
def overrides() -> dict:
    return {}


@pytest.fixture
def settings(settings, overrides):
    return settings.with_overrides(**overrides) if overrides else settings


def stored_bytes(document_id: int) -> int:
    with db.reading() as s:
        return store.usage(s, document_id).total


def merged_updates(document_id: int) -> int:
    with db.reading() as s:
        return s.get(DocumentSnapshot, document_id).merged_updates


def edit_of(peer: Peer, change) -> bytes:
    """An update made against the peer's text by a client of its own, not
    applied to the peer (so the peer stays what the server has)."""
    return crdt.capture(crdt.new_doc(peer.doc.get_update()), change)


def watch(sio, token: str, document_id: int) -> list:
    relayed: list = []
    client = sio.connect(token=token)
    client.on("doc:update", relayed.append)
    assert client.call("doc:join", {"document_id": document_id, "state_vector": b""}, timeout=10)[
        "ok"
    ]
    return relayed


def new_answer(api, ws, text: str = "") -> dict:
    return (
        api.as_(ws.owner)
        .post(f"/workspaces/{ws.id}/documents", json={"title": "Answer", "text": text})
        .get_json()
    )


def test_junk_after_a_valid_update_is_refused_and_neither_stored_nor_relayed(
    make, api, live_server, sio
):
    """The reported attack: ten 4 MiB updates, each a valid edit followed by
    junk, used to add 43 MiB to the database while the text stayed the same."""
    ws = make.workspace()
    doc = statement_of(api, ws)
    attacker = Peer(make.token(ws.owner), doc["id"], "attacker")
    attacker.connect(live_server.url)
    relayed = watch(sio, make.token(ws.partner), doc["id"])
    before, rows = stored_bytes(doc["id"]), update_rows(doc["id"])
    for i in range(10):
        edit = edit_of(attacker, lambda d, i=i: crdt.text_of(d).insert(0, f"注入 {i} "))
        junk = os.urandom(4 * 1024 * 1024 - len(edit))  # the largest update allowed
        ack = attacker.send_raw(edit + junk, timeout=60)
        assert ack["ok"] is False and ack["error"]["code"] == "malformed_update"
        assert f"{len(junk)} bytes follow the end of the update" in ack["error"]["message"]
        assert ack["error"]["fields"]["update"]
    assert stored_bytes(doc["id"]) == before and update_rows(doc["id"]) == rows
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == doc["text"]
    # The same edit without the junk is an edit like any other.
    assert attacker.send_raw(edit) == {"ok": True}
    wait_for(lambda: len(relayed) == 1)
    assert relayed[0]["update"] == edit
    assert stored_text(doc["id"]) == "注入 9 " + doc["text"]
    attacker.disconnect()


@pytest.mark.parametrize("overrides", [{"document_max_stored_bytes": SMALL_LIMIT}])
def test_edits_that_leave_history_behind_stay_under_the_limit_and_lose_nothing(
    make, api, live_server
):
    """Two people rewrite their paragraphs over and over: the text stays small,
    the history grows past the limit several times, compaction keeps what is
    stored under it, and the text is exactly what they wrote."""
    ws = make.workspace()
    answer = new_answer(api, ws)
    a = Peer(make.token(ws.owner), answer["id"], "a")
    b = Peer(make.token(ws.partner), answer["id"], "b")
    a.connect(live_server.url)
    b.connect(live_server.url)
    a.insert(0, "甲\n乙")
    a.wait_acked()
    wait_for(lambda: b.text() == "甲\n乙")
    sent = peak = 0
    for i in range(60):
        peer, other, mine = (a, b, "甲") if i % 2 == 0 else (b, a, "乙")
        text = peer.text()
        start = text.index(mine)
        end = text.index("\n") if mine == "甲" else len(text)
        line = f"{mine}{i} " + "改写 rewrite 😀 " * 250
        peer.delete(start, end - start)
        peer.insert(start, line)
        peer.wait_acked()
        assert peer.errors == []
        wait_for(lambda p=peer, o=other: o.text() == p.text())
        sent += len(line.encode()) + 60
        peak = max(peak, stored_bytes(answer["id"]))
    assert sent > 4 * SMALL_LIMIT  # without compaction this much would be stored
    assert peak <= SMALL_LIMIT
    assert merged_updates(answer["id"]) > 0
    final = a.text()
    assert final.startswith("甲58 改写 rewrite 😀 ") and "\n乙59 改写 rewrite 😀 " in final
    assert final.count("改写") == 500
    assert stored_text(answer["id"]) == final == b.text()
    late = Peer(make.token(ws.owner), answer["id"], "late")
    late.connect(live_server.url)
    assert late.text() == final
    for p in (a, b, late):
        p.disconnect()


@pytest.mark.parametrize("overrides", [{"document_max_stored_bytes": SMALL_LIMIT}])
def test_what_does_not_fit_even_after_compaction_is_refused_naming_the_limit(
    make, api, live_server, sio
):
    ws = make.workspace()
    answer = new_answer(api, ws)
    p = Peer(make.token(ws.owner), answer["id"], "p")
    p.connect(live_server.url)
    p.insert(0, "压铸" * 6000 + "\n")  # 36 KB of the 64 KiB
    p.wait_acked()
    relayed = watch(sio, make.token(ws.partner), answer["id"])
    text = p.text()
    big = edit_of(p, lambda d: crdt.text_of(d).insert(0, "y" * 30_000))
    ack = p.send_raw(big)
    assert ack["ok"] is False and ack["error"]["code"] == "document_storage_full"
    assert f"limit of {SMALL_LIMIT} bytes" in ack["error"]["message"]
    assert "DOCUMENT_MAX_STORED_BYTES" in ack["error"]["message"]
    assert ack["error"]["fields"]["update"] == [
        f"At most {SMALL_LIMIT} bytes of stored history per document."
    ]
    assert stored_text(answer["id"]) == text and update_rows(answer["id"]) == 0
    assert stored_bytes(answer["id"]) < 40_000  # compacted, and the update not kept
    # The same limit over REST.
    resp = api.as_(ws.owner).put(
        f"/documents/{answer['id']}/text", json={"text": text + "z" * 30_000}
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "document_storage_full"
    assert str(SMALL_LIMIT) in resp.get_json()["error"]["message"]
    assert stored_text(answer["id"]) == text
    assert relayed == []
    # What fits still goes in.
    p.insert(0, "✅")
    p.wait_acked()
    assert p.errors == [] and stored_text(answer["id"]) == "✅" + text
    wait_for(lambda: len(relayed) == 1)
    p.disconnect()


def test_a_heavy_tail_is_compacted_in_the_background(make, api, live_server):
    """Past 1 MiB of stored updates a compaction is queued. A paste of 600 KB
    deleted again, then pasted again: 1.2 MB stored, and after the compaction
    only the text there is (the deleted paste keeps only its length)."""
    ws = make.workspace()
    doc = statement_of(api, ws)
    p = Peer(make.token(ws.owner), doc["id"], "p")
    p.connect(live_server.url)
    scratch = crdt.new_doc(p.doc.get_update())
    paste = crdt.capture(scratch, lambda d: crdt.text_of(d).insert(0, "x" * 600_000))
    cut = crdt.capture(scratch, lambda d: crdt.text_of(d).__delitem__(slice(0, 600_000)))
    again = crdt.capture(scratch, lambda d: crdt.text_of(d).insert(0, "y" * 600_000))
    for update in (paste, cut, again):
        assert p.send_raw(update) == {"ok": True}
    if USE_REDIS:  # an RQ worker would run it; no worker runs in the tests
        assert any(
            "compact-document" in job_id for job_id in jobs.backend.queues["default"].job_ids
        )
        store.compact_document(doc["id"])
    wait_for(lambda: merged_updates(doc["id"]) == 3, timeout=20)
    assert update_rows(doc["id"]) == 0
    assert 600_000 < stored_bytes(doc["id"]) < 620_000
    assert stored_text(doc["id"]) == "y" * 600_000 + doc["text"]
    p.disconnect()


def test_junk_stored_before_the_check_is_compacted_away(make, api):
    """Rows an older version accepted with junk behind them: the periodic
    compaction (heavy tails) folds them, keeping the edits and not the junk."""
    ws = make.workspace()
    doc = statement_of(api, ws)
    base = store.read_doc(doc["id"])
    with db.transaction() as s:
        for i in range(3):
            edit = crdt.capture(
                crdt.new_doc(base.get_update()), lambda d, i=i: crdt.text_of(d).insert(0, f"{i}")
            )
            s.add(
                DocumentUpdate(
                    document_id=doc["id"], data=edit + os.urandom(4 << 20), user_id=ws.owner.id
                )
            )
    assert stored_bytes(doc["id"]) > 12 << 20
    assert doc["id"] in store.documents_to_compact()
    assert store.compact_documents()["updates"] == 3
    assert stored_bytes(doc["id"]) < 20_000
    text = stored_text(doc["id"])
    assert text.endswith(doc["text"]) and sorted(text[:3]) == ["0", "1", "2"]


@pytest.mark.parametrize(
    "overrides", [{"document_cache_max_docs": 4, "document_cache_max_bytes": 700_000}]
)
def test_the_open_documents_stay_within_their_bounds_and_evicted_ones_still_work(
    make, api, live_server
):
    ws = make.workspace()
    answers = [new_answer(api, ws, f"{i}号 " + "文本" * 50_000) for i in range(6)]  # 300 KB
    first, second = (
        Peer(make.token(u), answers[0]["id"], n)
        for u, n in ((ws.owner, "first"), (ws.partner, "second"))
    )
    first.connect(live_server.url)
    second.connect(live_server.url)
    peers = [first, second]
    for answer in answers[1:]:
        peer = Peer(make.token(ws.partner), answer["id"], f"p{answer['id']}")
        peers.append(peer)
        assert peer.connect(live_server.url)["ok"]
        assert peer.text() == answer["text"]
        assert registry.cached_count() <= 4 and registry.held_bytes() <= 700_000
    assert registry.get(answers[0]["id"]) is None  # the least recently used went
    # Its editors go on: checked against the stored state, stored, relayed.
    first.insert(0, "仍然可以编辑 ")
    first.wait_acked()
    assert first.errors == []
    wait_for(lambda: second.text() == first.text())
    assert stored_text(answers[0]["id"]) == "仍然可以编辑 " + answers[0]["text"]
    again = Peer(make.token(ws.owner), answers[0]["id"], "again")
    peers.append(again)
    again.connect(live_server.url)
    assert again.text() == first.text()
    assert registry.cached_count() <= 4 and registry.held_bytes() <= 700_000
    for peer in peers:
        peer.disconnect()
    wait_for(lambda: registry.open_count() == 0)
    assert registry.cached_count() <= 4 and registry.held_bytes() <= 700_000


def test_the_limits_come_from_the_environment_and_bad_values_fail_at_start(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 20}
    defaults = load_settings(env)
    assert defaults.document_max_stored_bytes == store.DEFAULT_MAX_STORED_BYTES == 16 << 20
    assert defaults.document_cache_max_bytes == 64 << 20
    chosen = load_settings(
        {
            **env,
            "DOCUMENT_MAX_STORED_BYTES": str(32 << 20),
            "DOCUMENT_CACHE_MAX_BYTES": str(256 << 20),
        }
    )
    assert (chosen.document_max_stored_bytes, chosen.document_cache_max_bytes) == (
        32 << 20,
        256 << 20,
    )
    with pytest.raises(ConfigError, match="DOCUMENT_MAX_STORED_BYTES must be at least 4194304"):
        load_settings({**env, "DOCUMENT_MAX_STORED_BYTES": "65536"})
    with pytest.raises(ConfigError, match="DOCUMENT_CACHE_MAX_BYTES must be a number of bytes"):
        load_settings({**env, "DOCUMENT_CACHE_MAX_BYTES": "lots"})
