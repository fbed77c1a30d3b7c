"""A group's readings go to PostgreSQL as arrays packed by hand (C passes, not
psycopg's dumper): whatever values and words a line sends, PostgreSQL reads
back exactly what was sent, NULLs where nothing was."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import USE_PG

pytestmark = pytest.mark.skipif(not USE_PG, reason="the arrays are PostgreSQL's wire form")

WORDS = st.one_of(st.none(), st.text(st.characters(exclude_characters="\x00"), max_size=30))


@pytest.fixture
def raw(app):
    from workspace.db import db

    assert db.engine is not None
    conn = db.engine.raw_connection()
    try:
        yield conn.driver_connection
    finally:
        conn.close()


# One connection serves every example: each only reads, and rolls back.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=200),
    words=st.lists(WORDS, max_size=200),
)
def test_packed_arrays_read_back_as_sent(raw, values, words) -> None:
    from workspace.trials.ingest_rows import packed_floats, packed_texts, packing_cursor

    floats, texts = (
        packing_cursor(raw)
        .execute(
            "SELECT %b::float8[], %b::text[]",
            (packed_floats(values), packed_texts(words, raw.info.encoding)),
        )
        .fetchone()
    )
    assert floats == values
    assert [math.copysign(1, v) for v in floats] == [math.copysign(1, v) for v in values]
    assert texts == words
    raw.rollback()
