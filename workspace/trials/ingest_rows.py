"""A group's readings as they are written: one INSERT of arrays for the whole
group on PostgreSQL, one executemany on SQLite."""

from __future__ import annotations

import struct
import sys
from array import array
from datetime import datetime
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import insert
from sqlalchemy.orm import Session

from workspace.trials.models import Measurement
from workspace.trials.readings import Readings

# One statement for the group, its readings as arrays in the order they came
# (ids follow it): unlike COPY, it goes in one round trip with the group's
# other writes (db.sent_together). Each reading finds its batch by its
# position (a batch holds positions first..last). A live batch's readings
# share one time and have no source: its time goes once, as the batch's `at`,
# and a column nobody sent goes as NULL, which unnest reads as NULLs.
_UNNEST = """
INSERT INTO measurements (trial_id, batch_id, metric, value, source, recorded_at)
SELECT %(trial)b, b.id, u.metric, u.value, u.source, coalesce(u.recorded_at, b.at)
FROM unnest(%(metrics)b::text[], %(values)b::float8[], %(sources)b::text[],
            %(times)b::timestamptz[])
     WITH ORDINALITY AS u(metric, value, source, recorded_at, n)
JOIN unnest(%(ids)b::int8[], %(firsts)b::int8[], %(lasts)b::int8[], %(ats)b::timestamptz[])
     AS b(id, lo, hi, at) ON u.n BETWEEN b.lo AND b.hi
ORDER BY u.n
"""


class Float8Array(bytes):
    """A float8[] already in PostgreSQL's binary form (see `packed_floats`)."""


class TextArray(bytes):
    """A text[] already in PostgreSQL's binary form (see `packed_texts`)."""


# psycopg's list dumper runs a Python step per element (~0.14 ms for 1,000
# readings, for each column); these arrays are built by C passes instead and
# sent as they are. (Not one struct format per group: struct caches up to 100
# compiled formats, ~3 MB each at 50,000 readings.)
def packed_floats(values: list[float]) -> Float8Array:
    n = len(values)
    big_endian = array("d", values)
    if sys.byteorder == "little":
        big_endian.byteswap()
    data = big_endian.tobytes()
    out = bytearray(_FLOAT8_SLOT * n)  # each element: its length (8), its 8 bytes
    for k in range(8):
        out[4 + k :: 12] = data[k::8]
    return Float8Array(_head(n, _FLOAT8, False) + out)


def packed_texts(items: list[str | None], encoding: str) -> TextArray:
    # A column holds few distinct values (a group's metrics, its lines): each
    # is encoded once (in the connection's encoding, as psycopg would), and
    # the elements are looked up in C.
    table = {s: _NULL if s is None else _element(s.encode(encoding)) for s in set(items)}
    return TextArray(
        _head(len(items), _TEXT, None in table) + b"".join(map(table.__getitem__, items))
    )


_FLOAT8, _TEXT = 701, 25
_NULL = struct.pack(">i", -1)
_FLOAT8_SLOT = struct.pack(">i", 8) + bytes(8)


def _head(n: int, element_oid: int, nulls: bool) -> bytes:
    # dimensions, has-nulls flag, element type; then size and lower bound
    return struct.pack(">iiiii", 1, int(nulls), element_oid, n, 1)


def _element(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


class _Float8ArrayDumper(Dumper):
    format = Format.BINARY
    oid = 1022  # float8[]

    def dump(self, obj: bytes) -> bytes:
        return obj


class _TextArrayDumper(_Float8ArrayDumper):
    oid = 1009  # text[]


def insert_rows(session: Session, trial_id: int, batches: list[tuple[int, Readings]]) -> None:
    """Store the readings of `batches` ((batch id, readings), in order). Nothing
    here needs them back as ORM objects, and the ORM's bulk path cost more
    than the insert itself at 10,000 rows. PostgreSQL: one INSERT of arrays
    for the group, dumped in binary (cheaper than writing COPY text); SQLite:
    one Core executemany."""
    batches = [b for b in batches if b[1]]
    if not batches:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(
            insert(Measurement.__table__),
            [
                {
                    "trial_id": trial_id,
                    "batch_id": batch_id,
                    "metric": metric,
                    "value": value,
                    "recorded_at": at,
                    "source": source,
                }
                for batch_id, r in batches
                for metric, value, at, source in zip(
                    r.metrics, r.values, r.times, r.sources, strict=True
                )
            ],
        )
        return
    raw = conn.connection.driver_connection
    # Not closed here: inside db.sent_together its result arrives later.
    _insert(packing_cursor(raw), trial_id, raw.info.encoding, batches)


def packing_cursor(raw: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
    """A cursor of `raw` that sends Float8Array and TextArray as they are.
    They are its own adapters (copied on write from the connection's): nothing
    registers at import, and no other statement sees them."""
    cursor = raw.cursor()
    cursor.adapters.register_dumper(Float8Array, _Float8ArrayDumper)
    cursor.adapters.register_dumper(TextArray, _TextArrayDumper)
    return cursor


def _insert(
    cursor: psycopg.Cursor[Any], trial_id: int, encoding: str, batches: list[tuple[int, Readings]]
) -> None:
    metrics: list[str] = []
    values: list[float] = []
    sources: list[str | None] = []
    times: list[datetime | None] = []
    ids, firsts, lasts, ats = [], [], [], []
    any_times = any_sources = False
    for batch_id, r in batches:
        n, t = len(r), r.times
        ids.append(batch_id)
        firsts.append(len(metrics) + 1)
        metrics += r.metrics
        values += r.values
        sources += r.sources
        lasts.append(len(metrics))
        any_sources = any_sources or r.sources.count(None) != n
        if t.count(t[0]) == n:  # one time for the batch (a live batch's stamp)
            ats.append(t[0])
            times += [None] * n
        else:
            ats.append(None)
            times += t
            any_times = True
    cursor.execute(
        _UNNEST,
        {
            "trial": trial_id,
            "ids": ids,
            "firsts": firsts,
            "lasts": lasts,
            "ats": ats,
            "metrics": packed_texts(metrics, encoding),
            "values": packed_floats(values),
            "sources": packed_texts(sources, encoding) if any_sources else None,
            "times": times if any_times else None,
        },
    )
