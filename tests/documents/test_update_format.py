"""Exactly one Yjs update of the document's text, or a refusal: what Yjs (in
Node) and pycrdt really send passes, the same bytes with anything after them,
cut short, or random do not, and nothing malformed reaches Yrs (a deeply
nested value there crashed the whole process)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, get_state
from pycrdt import write_var_uint as v

from tests.documents.peer import Peer
from tests.documents.test_node_peer import HERE, node_or_skip
from tests.documents.test_sync import stored_text, update_rows
from workspace.documents import crdt, store
from workspace.documents.update_format import MAX_CLOCK, MAX_NUMBER

# JOINTLAB_FUZZ_EXAMPLES=3000 for a longer run by hand.
FAST = settings(
    max_examples=int(os.environ.get("JOINTLAB_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def refusal(update: bytes) -> str:
    with pytest.raises(crdt.InvalidUpdate) as err:
        crdt.validate_update(update)
    return str(err.value)


def text_item(
    content: bytes,
    *,
    info: int = 4,
    client: int = 7,
    root: bytes = b"content",
    clients: int = 1,
    tail: bytes = b"\x00",
) -> bytes:
    """One item at the start of the root text: the shape Yjs writes."""
    head = v(1) + v(client) + v(0) + bytes([info]) + v(1) + v(len(root)) + root + content
    return v(clients) + head * clients + tail


def text_string(value: str) -> bytes:
    raw = value.encode()
    return v(len(raw)) + raw


# ------------------------------------------------------------------ real peers
edits = st.lists(
    st.tuples(st.booleans(), st.integers(0, 10_000), st.text(min_size=1, max_size=6)),
    min_size=1,
    max_size=10,
)


def pycrdt_updates(script: list[tuple[bool, int, str]]) -> tuple[list[bytes], str]:
    """The updates two pycrdt peers send for a script of edits, the states and
    diffs a reconnecting peer sends, and the text they all make."""
    # Fixed client ids: the same script makes the same bytes (hypothesis replays).
    a, b = Doc(client_id=1_000_003), Doc(client_id=2_718_281_828)
    crdt.text_of(a), crdt.text_of(b)
    sent: list[bytes] = []
    for i, (delete, at, value) in enumerate(script):
        doc = a if i % 2 else b
        text = crdt.text_str(doc)
        at = at % (len(text) + 1)
        if delete and text:
            end = min(len(text), at + len(value))
            start, stop = crdt.cp_to_utf8(text, min(at, end)), crdt.cp_to_utf8(text, end)
            update = crdt.capture(
                doc, lambda d, s=start, e=stop: crdt.text_of(d).__delitem__(slice(s, e))
            )
        else:
            position = crdt.cp_to_utf8(text, at)
            update = crdt.capture(doc, lambda d, p=position, t=value: crdt.text_of(d).insert(p, t))
        sent.append(update)
        (b if doc is a else a).apply_update(update)
    vector = b.get_state()
    sent += [a.get_update(), a.get_update(vector), crdt.EMPTY_UPDATE]
    return sent, crdt.text_str(a)


@FAST
@given(edits)
def test_every_update_pycrdt_sends_passes_and_makes_the_same_text(script):
    updates, text = pycrdt_updates(script)
    for update in updates:
        crdt.validate_update(update)
    assert crdt.text_str(crdt.new_doc(*updates)) == text


@FAST
@given(edits, st.binary(min_size=1, max_size=64), st.data())
def test_junk_after_an_update_or_an_update_cut_short_is_refused(script, junk, data):
    updates, _ = pycrdt_updates(script)
    update = data.draw(st.sampled_from(updates))
    assert "follow the end of the update" in refusal(update + junk)
    cut = data.draw(st.integers(0, len(update) - 1))
    refusal(update[:cut])


@FAST
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda p, b: p + b,
            st.sampled_from([b"\x01\x01", b"\x00\x01", b"\x01\x02\x07\x00"]),
            st.binary(max_size=200),
        ),
    )
)
def test_random_bytes_are_refused_or_exactly_what_yrs_reads(data):
    try:
        crdt.validate_update(data)
    except crdt.InvalidUpdate:
        return
    get_state(data)  # what passes, Yrs reads: all of it...
    with pytest.raises(ValueError):
        get_state(data[:-1])  # ...and not less


def test_what_yjs_sends_passes_and_what_is_not_the_text_is_refused(make, api, live_server):
    """Real Yjs 13 updates (typing, paste, formats, embeds, states, diffs,
    merged updates with a Skip, the "nothing missing" diff of a join) sent in
    order to an empty document: every ack is ok and the server's text is
    Yjs's. Updates to other shared types are refused and not stored."""
    node = node_or_skip()
    out = subprocess.run(
        [node, str(HERE / "updates.mjs")], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    corpus = json.loads(out)
    ws = make.workspace()
    answer = (
        api.as_(ws.owner).post(f"/workspaces/{ws.id}/documents", json={"title": "Yjs"}).get_json()
    )
    p = Peer(make.token(ws.owner), answer["id"], "yjs")
    p.connect(live_server.url)
    for item in corpus["updates"]:
        assert p.send_raw(bytes.fromhex(item["hex"])) == {"ok": True}, item["name"]
    assert (
        api.as_(ws.partner).get(f"/documents/{answer['id']}").get_json()["text"] == corpus["text"]
    )
    rows = update_rows(answer["id"])
    for item in corpus["foreign"]:
        ack = p.send_raw(bytes.fromhex(item["hex"]))
        assert ack["ok"] is False and ack["error"]["code"] == "malformed_update", item["name"]
        assert (
            "not text" in ack["error"]["message"] or "only the text" in ack["error"]["message"]
        ), item["name"]
    assert update_rows(answer["id"]) == rows
    p.disconnect()


# ------------------------------------------------------------------ what is refused
def test_the_shapes_yjs_and_yrs_read_differently_are_refused_before_yrs_sees_them():
    ok = text_item(text_string("hi"))
    assert crdt.validate_update(ok).structs == 1
    # A value nested a million deep: Yrs recursed until the process died.
    deep = text_item(v(1) + b"\x75\x01" * 1_000_000 + b"\x7e", info=8)
    assert "content type 8 is not text" in refusal(deep)
    # Yrs reads content ref 0x11 as a deletion; Yjs does not know it.
    assert "content type 17 is not text" in refusal(text_item(v(3), info=0x11))
    # Legacy JSON content: Yrs reads one string more than Yjs writes.
    assert "content type 2 is not text" in refusal(text_item(v(1) + text_string("1"), info=2))
    # Two blocks for one client: Yjs keeps the second, Yrs both.
    assert "two blocks for one client" in refusal(text_item(text_string("a"), clients=2))
    assert "only the text 'content'" in refusal(text_item(text_string("a"), root=b"notes"))
    assert "map entries" in refusal(text_item(v(0), info=0x24))
    assert "not UTF-8" in refusal(text_item(v(2) + b"\xff\xfe"))
    assert "too large" in refusal(text_item(text_string("a"), client=MAX_NUMBER + 1))
    gc_past_clock = v(1) + v(1) + v(7) + v(MAX_CLOCK) + b"\x00" + v(2) + b"\x00"
    assert "clock is too large" in refusal(gc_past_clock)
    assert "deleted range is too large" in refusal(b"\x00\x01" + v(7) + v(1) + v(MAX_CLOCK) + v(5))
    assert "more structs than bytes" in refusal(v(1) + v(10**9) + v(7) + v(0))
    for empty in (b"", b"\x00"):
        assert "ends" in refusal(empty)


def test_deletions_and_the_empty_update_a_join_sends_pass():
    doc = crdt.doc_from_text("压铸 😀 text")
    deletion = crdt.capture(doc, lambda d: crdt.text_of(d).__delitem__(slice(0, 6)))
    assert crdt.validate_update(deletion).structs == 0
    assert crdt.validate_update(crdt.EMPTY_UPDATE).is_empty
    assert crdt.validate_update(doc.get_update()).delete_ranges == 1


def test_compaction_keeps_as_rows_what_waits_for_an_update_not_yet_stored():
    """Yrs leaves out of a document's encoding the edits still waiting for one
    they build on (committed out of order); compaction must not drop them."""
    writer = crdt.new_doc()
    first = crdt.capture(writer, lambda d: crdt.text_of(d).insert(0, "hello "))
    second = crdt.capture(writer, lambda d: crdt.text_of(d).insert(6, "world"))
    third = crdt.capture(writer, lambda d: crdt.text_of(d).__delitem__(slice(0, 2)))
    state, left = crdt.compact_state(crdt.EMPTY_UPDATE, [second, third])
    assert left == [0, 1]
    assert crdt.text_str(crdt.new_doc(state, first, second, third)) == "llo world"
    # Yrs's own encoding of the same document would have lost both.
    assert crdt.text_str(crdt.new_doc(crdt.new_doc(second, third).get_update(), first)) == "hello "
    state, left = crdt.compact_state(crdt.EMPTY_UPDATE, [second, third, first])
    assert left == [] and crdt.text_str(crdt.new_doc(state)) == "llo world"


def three_writers(script: list[tuple[int, bool, int, str, int]]) -> list[bytes]:
    """Updates of three pycrdt peers that see each other's edits only now
    and then (the mask says who receives each), in the order they were made."""
    peers = [Doc(client_id=c) for c in (11, 22_222, 3_333_333_333)]
    for peer in peers:
        crdt.text_of(peer)
    made = []
    for who, delete, at, value, mask in script:
        doc = peers[who]
        text = crdt.text_str(doc)
        at = at % (len(text) + 1)
        if delete and text:
            end = min(len(text), at + len(value))
            a, b = crdt.cp_to_utf8(text, min(at, end)), crdt.cp_to_utf8(text, end)
            update = crdt.capture(doc, lambda d, a=a, b=b: crdt.text_of(d).__delitem__(slice(a, b)))
        else:
            p = crdt.cp_to_utf8(text, at)
            update = crdt.capture(doc, lambda d, p=p, v=value: crdt.text_of(d).insert(p, v))
        made.append(update)
        for i, other in enumerate(peers):
            if other is not doc and mask >> i & 1:
                other.apply_update(update)
    return made


writers = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.booleans(),
        st.integers(0, 999),
        st.text(min_size=1, max_size=4),
        st.integers(0, 7),
    ),
    min_size=2,
    max_size=16,
)


@FAST
@given(writers, st.randoms(use_true_random=False))
def test_updates_in_any_order_make_the_same_text_in_a_document_kept_open(script, rng):
    """Relays and rows come out of order. One by one, pycrdt sometimes hides
    an edit for good; held back until what it builds on is in, never."""
    made = three_writers(script)
    expected = crdt.text_str(crdt.new_doc(*made))  # merged: Yrs gets this right
    shuffled = made[:]
    rng.shuffle(shuffled)
    doc = crdt.new_doc()
    waiting: crdt.Waiting = []
    for update in shuffled:
        waiting, gave_up = crdt.integrate(
            doc, [(update, crdt.validate_update(update).requires)], waiting
        )
        assert gave_up == 0
    assert waiting == [] and crdt.text_str(doc) == expected
    assert crdt.text_str(crdt.new_doc(*shuffled)) == expected
    state, left = crdt.compact_state(crdt.EMPTY_UPDATE, shuffled[: len(shuffled) // 2])
    rest = [shuffled[i] for i in left] + shuffled[len(shuffled) // 2 :]
    assert crdt.text_str(crdt.new_doc(state, *rest)) == expected


HIDING_ORDER = (
    [
        (1, True, 6, "ab\n", 1),
        (1, False, 5, "ab\n", 7),
        (0, False, 9, "x", 1),
        (1, False, 6, "世", 4),
    ],
    (0, 2, 3, 1),
)


def test_the_order_that_hid_an_edit_from_pycrdt():
    """Found by a search like the test above: applied one by one in this
    order, pycrdt 0.14 (Yrs 0.28) shows "aab\nb\n世", the "x" gone for good,
    where Yjs shows "aaxb\nb\n世" in every order."""
    script, order = HIDING_ORDER
    made = three_writers(script)
    assert crdt.text_str(crdt.new_doc(*made)) == "aaxb\nb\n世"
    doc = crdt.new_doc()
    waiting: crdt.Waiting = []
    for i in order:
        waiting, _ = crdt.integrate(doc, [(made[i], crdt.requirements_of(made[i]))], waiting)
    assert waiting == [] and crdt.text_str(doc) == "aaxb\nb\n世"


def test_updates_that_arrive_out_of_order_are_all_in_what_everyone_reads(make, api, live_server):
    """The same updates reach the server in that order (as when two updates of
    one client are handled by two threads): the live document, the stored
    text and the compacted snapshot all hold the "x"."""
    script, order = HIDING_ORDER
    made = three_writers(script)
    ws = make.workspace()
    answer = (
        api.as_(ws.owner).post(f"/workspaces/{ws.id}/documents", json={"title": "Order"}).get_json()
    )
    sender = Peer(make.token(ws.owner), answer["id"], "sender")
    sender.connect(live_server.url)
    for i in order:
        assert sender.send_raw(made[i]) == {"ok": True}
    late = Peer(make.token(ws.partner), answer["id"], "late")
    late.connect(live_server.url)
    assert late.text() == "aaxb\nb\n世"
    assert api.as_(ws.owner).get(f"/documents/{answer['id']}").get_json()["text"] == "aaxb\nb\n世"
    assert store.compact(answer["id"]) == 4
    assert stored_text(answer["id"]) == "aaxb\nb\n世"
    for peer in (sender, late):
        peer.disconnect()
