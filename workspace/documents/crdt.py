"""pycrdt handling: documents, validated updates, server-side text edits.

Three ways of counting positions meet here. pycrdt (yrs with its default
`OffsetKind::Bytes`) indexes a Text by UTF-8 bytes, Yjs in the browser by
UTF-16 code units, Python and our API (comment anchors) by code points. An
index that falls inside a multi-byte character makes yrs misplace the edit,
so every server-side edit goes through `cp_to_utf8` against the text it edits.
Positions never travel between peers: Yjs updates refer to item ids, so the
browser and the server may count differently without harm.
"""

from __future__ import annotations

import time
from typing import Any

from pycrdt import Decoder, Doc, Text, get_state, merge_updates, write_var_uint

from workspace.documents import update_format
from workspace.documents.diff import Edit, minimal_edits

TEXT_NAME = "content"  # SPEC: the document's content is the Yjs text `content`
EMPTY_UPDATE = b"\x00\x00"  # no structs, empty delete set


class InvalidUpdate(ValueError):
    """Bytes that are not a Yjs update (v1 encoding)."""


def new_doc(*states: bytes) -> Doc:
    """A document holding `states`, merged into one update first: Yrs applies
    updates one by one correctly only in causal order (one that arrives
    before an update it builds on can stay hidden for good, where Yjs shows
    it), and stored rows are in commit order, not causal order."""
    doc = Doc(allow_multithreading=True)
    doc.get(TEXT_NAME, type=Text)
    present = [state for state in states if state]
    if present:
        doc.apply_update(present[0] if len(present) == 1 else merge_updates(*present))
    return doc


def text_of(doc: Doc) -> Text:
    return doc.get(TEXT_NAME, type=Text)


def text_str(doc: Doc) -> str:
    return str(text_of(doc))


def text_bytes(doc: Doc) -> int:
    """The text's UTF-8 size, which is what pycrdt's len() counts (O(1))."""
    return len(text_of(doc))


# ------------------------------------------------------------------ positions
def cp_to_utf8(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


# ------------------------------------------------------------------ updates
def validate_update(update: bytes) -> update_format.Shape:
    """Refuse bytes that are not exactly one text update of a document, before
    any document (or the database) sees them: first the framing as Yjs reads
    it (update_format), then Yrs must read the same bytes. A decoder that
    stops early also decodes the update minus its last byte, so Yrs has to
    decode all of it and fail on one byte less. Missing dependencies are not
    an error: Yjs keeps such structs pending until what they refer to arrives."""
    try:
        shape = update_format.check_v1_update(update, TEXT_NAME)
    except update_format.MalformedUpdate as err:
        raise InvalidUpdate(f"{err.reason} (byte {err.offset})") from None
    try:
        get_state(update)
    except Exception:  # pycrdt raises ValueError; be safe with natives
        raise InvalidUpdate("Yrs cannot decode it") from None
    try:
        get_state(update[:-1])
    except Exception:
        return shape
    raise InvalidUpdate("Yrs reads fewer bytes of it than Yjs")


def is_empty(update: bytes) -> bool:
    return update == EMPTY_UPDATE


def capture(doc: Doc, change: Any) -> bytes:
    """Run `change(doc)` in one transaction and return exactly its update."""
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    try:
        with doc.transaction():
            change(doc)
    finally:
        doc.unobserve(subscription)
    return updates[0] if updates else EMPTY_UPDATE


# ------------------------------------------------------------------ out of order
# Yrs integrates an update whose dependencies it lacks by keeping part of it
# pending, and later updates applied one by one to a document with pending
# parts can come out wrong for good (text missing or misplaced; Yjs gets every
# order right). Updates do come out of order: two updates of one client are
# handled by two threads, rows commit out of order on PostgreSQL. So nothing
# goes into a document before what it builds on: stored state is merged into
# one update first (new_doc), and a document kept open takes an update only
# when it holds everything the update requires (update_format.Shape.requires);
# until then the update waits beside it.

Waiting = list[tuple[bytes, dict[int, int], float]]  # update, requires, since
# An update still waiting after this long, or past this many, is given up on
# (its dependency was refused, or lost): a document kept open then reloads.
WAIT_SECONDS = 120.0
WAIT_MAX = 5000


def requirements_of(update: bytes) -> dict[int, int] | None:
    """update_format.Shape.requires, or None for bytes the walk refuses (a row
    stored before the check): those are applied as they are."""
    try:
        return update_format.check_v1_update(update, TEXT_NAME, exact=False).requires
    except update_format.MalformedUpdate:
        return None


def state_vector(doc: Doc) -> dict[int, int]:
    return update_format.read_state_vector(doc.get_state())


def integrate(
    doc: Doc, updates: list[tuple[bytes, dict[int, int] | None]], waiting: Waiting
) -> tuple[Waiting, int]:
    """Apply each update (with its requirements) once `doc` holds what it
    requires, earlier waiting ones included, in as many passes as that takes.
    Returns what still waits and how many were given up on."""
    now = time.monotonic()
    queue = [*waiting, *((u, req, now) for u, req in updates if u)]
    if not queue:
        return waiting, 0
    have: dict[int, int] | None = None
    progress = True
    while progress and queue:
        progress = False
        later: Waiting = []
        for update, requires, since in queue:
            if requires and have is None:
                have = state_vector(doc)
            if not requires or all(
                have.get(c, 0) >= k  # type: ignore[union-attr]
                for c, k in requires.items()
            ):
                doc.apply_update(update)
                have = None
                progress = True
            else:
                later.append((update, requires, since))
        queue = later
    still = [entry for entry in queue if now - entry[2] < WAIT_SECONDS][-WAIT_MAX:]
    return still, len(queue) - len(still)


def mergeable(known: dict[int, int], updates: list[tuple[bytes, dict[int, int]]]) -> list[int]:
    """Which of `updates` (with their requirements) merge into one update
    without a gap: those whose requirements `known` (a state vector) and the
    ones taken before them meet, in as many passes as that takes. A merge
    across a gap (one client's updates 1 and 3 without 2) holds a Skip, and
    a peer that waits for what an update requires (crdt.integrate, as here)
    would then wait for 2 while 2 waits for 1, inside the merge."""
    known = dict(known)
    chosen: list[int] = []
    rest = list(range(len(updates)))
    progress = True
    while progress and rest:
        progress = False
        later = []
        for i in rest:
            update, requires = updates[i]
            if all(known.get(c, 0) >= k for c, k in requires.items()):
                chosen.append(i)
                for c, k in update_format.read_state_vector(get_state(update)).items():
                    known[c] = max(known.get(c, 0), k)
                progress = True
            else:
                later.append(i)
        rest = later
    return sorted(chosen)


def compact_state(snapshot: bytes, rows: list[bytes]) -> tuple[bytes, list[int]]:
    """The snapshot with every row it can take folded in (deleted text keeps
    only its length), and the indexes of the rows that still wait for an
    update they build on: those stay stored as they are."""
    doc = new_doc(snapshot)
    queue = [(row, requirements_of(row)) for row in rows]
    waiting, _ = integrate(doc, queue, [])
    left = {id(update) for update, _, _ in waiting}
    return doc.get_update(), [i for i, row in enumerate(rows) if id(row) in left]


def apply_edits(doc: Doc, current: str, edits: list[Edit]) -> None:
    """Apply code-point edits (ascending, from diff.minimal_edits) to the text,
    last first so earlier offsets stay valid, converting to UTF-8 offsets."""
    text = text_of(doc)
    for start, end, replacement in reversed(edits):
        byte_start = cp_to_utf8(current, start)
        byte_end = byte_start + len(current[start:end].encode("utf-8"))
        if byte_end > byte_start:
            del text[byte_start:byte_end]
        if replacement:
            text.insert(byte_start, replacement)


def replace_text(doc: Doc, new_text: str) -> bytes:
    """Turn the document's text into `new_text` with the smallest edit;
    returns the update (EMPTY_UPDATE when nothing changed)."""
    current = text_str(doc)
    edits = minimal_edits(current, new_text)
    if not edits:
        return EMPTY_UPDATE
    return capture(doc, lambda d: apply_edits(d, current, edits))


def doc_from_text(text: str) -> Doc:
    doc = new_doc()
    if text:
        text_of(doc).insert(0, text)
    return doc


# ------------------------------------------------------------------ awareness
def awareness_clients(update: bytes) -> dict[int, int]:
    """clientID -> clock of each state in a y-protocols awareness update.
    Raises InvalidUpdate when the bytes are not one."""
    try:
        decoder = Decoder(update)
        count = decoder.read_var_uint()
        clients: dict[int, int] = {}
        for _ in range(count):
            client_id = decoder.read_var_uint()
            clock = decoder.read_var_uint()
            decoder.read_var_string()
            clients[client_id] = clock
        return clients
    except Exception:
        raise InvalidUpdate("not an awareness update") from None


def awareness_removal(clients: dict[int, int]) -> bytes:
    """An awareness update that marks these clients gone (state null, clock+1),
    as y-protocols' removeAwarenessStates would send."""
    out = bytearray(write_var_uint(len(clients)))
    for client_id, clock in clients.items():
        out += write_var_uint(client_id)
        out += write_var_uint(clock + 1)
        payload = b"null"
        out += write_var_uint(len(payload)) + payload
    return bytes(out)
