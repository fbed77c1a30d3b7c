"""The exact shape of a Yjs update (v1 encoding), checked before pycrdt sees it.

Yrs (pycrdt) reads the structure it needs and ignores whatever follows it, so
a valid edit with megabytes of junk behind it used to be accepted, stored and
relayed. This walks the framing the way Yjs 13 writes and reads it
(`readClientsStructRefs` in yjs/src/utils/encoding.js, `readDeleteSet` in
DeleteSet.js, lib0's `readVarUint` and `readVarString`) and requires the last
field to end on the last byte:

    update  = varuint clients, clients x {varuint structs, varuint client,
              varuint clock, structs x struct}, delete set
    struct  = u8 info, then: GC (info 0) or Skip (info 10): varuint length;
              an item: [origin id] [right origin id] [parent] content
    delete set = varuint clients, clients x {varuint client, varuint ranges,
              ranges x {varuint clock, varuint length}}

It refuses more than junk: everything a JointLab document never contains and
where Yjs and Yrs read the same bytes differently, because what the server
stores it also relays, and an update one side reads differently from the other
makes browsers and server disagree about the text (or breaks the browsers):
- content other than the text edits of the root text `content` (strings,
  deletions, formats, embeds): no other shared types, no nested types, no map
  entries, no Any/JSON/binary/subdocument content. Yrs also keeps each Any
  value at ~30 bytes of memory per byte sent and recurses into nested Any
  values without a limit (a deep one crashed the process);
- content ref numbers with bit 0x10 set (Yrs masks four bits, Yjs five);
- two blocks for one client (Yjs keeps the second, Yrs both);
- numbers above 2^53 - 1 (lib0 reads them as JavaScript doubles) and clocks
  above 2^32 - 1 (Yrs keeps them in 32 bits and would wrap);
- strings that are not UTF-8 (Yrs takes them unchecked).
"""

from __future__ import annotations

from typing import NamedTuple

MAX_NUMBER = (1 << 53) - 1
MAX_CLOCK = (1 << 32) - 1

GC, SKIP = 0, 10
DELETED, STRING, EMBED, FORMAT = 1, 4, 5, 6
TEXT_CONTENT = frozenset((DELETED, STRING, EMBED, FORMAT))
HAS_ORIGIN, HAS_RIGHT_ORIGIN, HAS_PARENT_SUB = 0x80, 0x40, 0x20
CONTENT_BITS = 0x1F
ROOT_PARENT = 1  # parent info: 1 = a root type's name follows, 0 = a nested type's id


class MalformedUpdate(ValueError):
    """Bytes that are not exactly one Yjs v1 update a document may contain."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} (at byte {offset})")
        self.reason = reason
        self.offset = offset


class Shape(NamedTuple):
    clients: int
    structs: int
    delete_ranges: int
    # client -> the clock up to which a document must already hold that
    # client's structs for this update to go in whole: where its own structs
    # start (or a gap in them ends), the items it builds on, the ranges it
    # deletes. A document holding less would keep part of it pending.
    requires: dict[int, int]

    @property
    def is_empty(self) -> bool:
        return self.structs == 0 and self.delete_ranges == 0


class _Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data)

    def left(self) -> int:
        return self.end - self.pos

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise MalformedUpdate("the update ends early", pos)
        self.pos = pos + 1
        return self.data[pos]

    def uint(self, limit: int = MAX_NUMBER) -> int:
        data, pos, end = self.data, self.pos, self.end
        if pos < end and data[pos] < 0x80:  # most numbers are one byte
            value = data[pos]
            self.pos = pos + 1
            return value
        start, value, shift = pos, 0, 0
        while True:
            if pos >= end:
                raise MalformedUpdate("the update ends inside a number", pos)
            b = data[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
            if shift > 49:  # an eighth byte still continuing: past 2^56
                raise MalformedUpdate("a number is too large", start)
        if value > limit:
            raise MalformedUpdate("a number is too large", start)
        self.pos = pos
        return value

    def string(self) -> str:
        size = self.uint()
        pos = self.pos
        if size > self.end - pos:
            raise MalformedUpdate("a string runs past the end of the update", pos)
        self.pos = pos + size
        try:
            return self.data[pos : pos + size].decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedUpdate("a string is not UTF-8", pos) from None

    def id(self) -> tuple[int, int]:
        return self.uint(), self.uint(MAX_CLOCK)


def utf16_length(text: str) -> int:
    """Yjs counts an item's clock length in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def check_v1_update(data: bytes, root: str, exact: bool = True) -> Shape:
    """The update's shape, or MalformedUpdate saying what is wrong and where.
    `exact=False` lets bytes follow the update (rows stored before the check)."""
    r = _Reader(data)
    clients = r.uint()
    if clients > r.left():
        raise MalformedUpdate("more clients than bytes", 0)
    blocks: dict[int, tuple[int, int]] = {}  # client -> (start, end) of its structs
    refs: list[tuple[int, int]] = []  # (client, clock) of items built on
    requires: dict[int, int] = {}
    structs = 0
    for _ in range(clients):
        count = r.uint()
        if count > r.left():
            raise MalformedUpdate("more structs than bytes", r.pos)
        at = r.pos
        client = r.uint()
        if client in blocks:
            raise MalformedUpdate("two blocks for one client", at)
        start = clock = r.uint(MAX_CLOCK)
        after_gap = start
        for _ in range(count):
            skip = r.pos < r.end and r.data[r.pos] == SKIP
            clock += _struct(r, root, refs)
            if clock > MAX_CLOCK + 1:
                raise MalformedUpdate("a clock is too large", r.pos)
            if skip:  # what follows a gap needs the gap filled first
                after_gap = clock
        blocks[client] = (start, clock)
        requires[client] = after_gap
        structs += count
    ranges = _delete_set(r, refs)
    if exact and r.pos != r.end:
        raise MalformedUpdate(f"{r.end - r.pos} bytes follow the end of the update", r.pos)
    for client, clock in refs:
        block = blocks.get(client)
        if block is not None and clock < block[1]:
            continue  # its own, or before its start (required already)
        if clock + 1 > requires.get(client, 0):
            requires[client] = clock + 1
    return Shape(clients, structs, ranges, requires)


def read_state_vector(data: bytes) -> dict[int, int]:
    """client -> clock, from a Yjs state vector (as Yrs encodes a document's)."""
    r = _Reader(data)
    return {r.uint(): r.uint() for _ in range(r.uint())}


def _struct(r: _Reader, root: str, refs: list[tuple[int, int]]) -> int:
    """Read one struct, noting the items it builds on; returns its length."""
    at = r.pos
    info = r.byte()
    if info in (GC, SKIP):
        return r.uint(MAX_CLOCK)
    content = info & CONTENT_BITS
    if content not in TEXT_CONTENT:
        raise MalformedUpdate(f"content type {content} is not text", at)
    if info & HAS_PARENT_SUB:
        raise MalformedUpdate("map entries are not text", at)
    if info & HAS_ORIGIN:
        refs.append(r.id())
    if info & HAS_RIGHT_ORIGIN:
        refs.append(r.id())
    if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
        if r.uint() != ROOT_PARENT:
            raise MalformedUpdate("nested types are not text", at)
        name_at = r.pos
        if r.string() != root:
            raise MalformedUpdate(f"only the text {root!r} may be edited", name_at)
    if content == STRING:
        return utf16_length(r.string())
    if content == DELETED:
        return r.uint(MAX_CLOCK)
    if content == FORMAT:
        r.string()  # the attribute's key; its JSON value follows
    r.string()  # an embed's or a format's JSON, parsed by Yrs
    return 1


def _delete_set(r: _Reader, refs: list[tuple[int, int]]) -> int:
    """Read the delete set, noting the last item of each range (it must exist)."""
    clients = r.uint()
    if clients > r.left():
        raise MalformedUpdate("more clients than bytes", r.pos)
    ranges = 0
    for _ in range(clients):
        client = r.uint()
        count = r.uint()
        if count > r.left():
            raise MalformedUpdate("more deleted ranges than bytes", r.pos)
        for _ in range(count):
            at = r.pos
            first, length = r.uint(MAX_CLOCK), r.uint(MAX_CLOCK)
            if first + length > MAX_CLOCK + 1:
                raise MalformedUpdate("a deleted range is too large", at)
            if length:
                refs.append((client, first + length - 1))
        ranges += count
    return ranges
