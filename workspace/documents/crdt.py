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

from typing import Any

from pycrdt import Decoder, Doc, Text, get_state, get_update, merge_updates, write_var_uint

from workspace.documents import update_format
from workspace.documents.diff import Edit, minimal_edits

TEXT_NAME = "content"  # SPEC: the document's content is the Yjs text `content`
EMPTY_UPDATE = b"\x00\x00"  # no structs, empty delete set


class InvalidUpdate(ValueError):
    """Bytes that are not a Yjs update (v1 encoding)."""


def new_doc(*states: bytes) -> Doc:
    doc = Doc(allow_multithreading=True)
    doc.get(TEXT_NAME, type=Text)
    for state in states:
        if state:
            doc.apply_update(state)
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


def utf8_to_cp(text: str, offset: int) -> int:
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def cp_to_utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def utf16_to_cp(text: str, offset: int) -> int:
    return len(text.encode("utf-16-le")[: offset * 2].decode("utf-16-le", errors="ignore"))


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


def compact_states(states: list[bytes]) -> bytes:
    """One update holding everything in `states` (a snapshot and the updates
    stored since), as compact as Yrs makes it: deleted text keeps only its
    length. Yrs leaves out of a document's encoding the structs and deletions
    still waiting for something they refer to (an update committed out of
    order), so those are merged back in from the raw updates: compaction never
    drops what someone wrote."""
    present = [state for state in states if state]
    doc = new_doc(*present)
    if not present:
        return doc.get_update()
    waiting = get_update(merge_updates(*present), doc.get_state())
    return merge_updates(doc.get_update(), waiting)


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
