"""A measurement batch's body is decoded by msgspec where it can be, and by the
JSON parser and the hand-written checks where it cannot: a line system sees
exactly the same answer either way (the same readings stored, or the same
status, code, message and fields), whatever it sends."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace import json_input
from workspace.errors import AppError
from workspace.trials.measurements import parse_body, parse_measurements
from workspace.trials.readings import Readings


def answer(parse: Any, raw: bytes) -> tuple:
    try:
        readings, key = parse(raw)
    except AppError as err:
        return ("refused", err.status, err.code, err.message, err.fields)
    # Compare times as instants and zones alike (a timezone object's repr differs).
    rows = [
        {"metric": metric, "value": value, "recorded_at": _at(at), "source": source}
        for metric, value, at, source in zip(
            readings.metrics, readings.values, readings.times, readings.sources, strict=True
        )
    ]
    assert all(type(v) is float for v in readings.values)  # one float8 array
    return ("stored", rows, key)


def _at(at: datetime | None) -> Any:
    return None if at is None else (at.isoformat(), at.utcoffset())


def reference(raw: bytes) -> tuple[Readings, str | None]:
    """The path every body took before msgspec."""
    return parse_measurements(json_input.parse(raw) if raw else {})


def same_answer(raw: bytes) -> tuple:
    fast = answer(parse_body, raw)
    assert fast == answer(reference, raw), raw[:300]
    return fast


TIMES = st.sampled_from(
    [
        "2026-01-31T08:00:00Z",
        "2026-01-31T08:00:00+05:30",
        "2026-01-31T08:00:00.123456789+00:00",  # more digits than a datetime holds
        "2026-01-31 08:00:00+00:00",
        "2026-01-31t08:00:00z",
        "2026-01-31T08:00Z",
        "2026-01-31T08:00:00",  # no zone
        "2026-02-30T08:00:00Z",
        "yesterday",
        "",
    ]
)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
TEXT = st.one_of(st.text(max_size=8), st.text(min_size=199, max_size=202), st.integers())


@st.composite
def items(draw: Any) -> Any:
    item: dict[str, Any] = {}
    for field, values in (
        ("metric", st.one_of(st.sampled_from(["porosity", "tensile_mpa", ""]), TEXT)),
        ("value", VALUES),
        ("recorded_at", st.one_of(TIMES, st.none(), st.integers())),
        ("source", st.one_of(TEXT, st.none())),
        ("client_key", st.one_of(st.sampled_from(["k1", "k2", ""]), TEXT, st.none())),
        ("extra", st.integers()),
    ):
        if draw(st.booleans()):
            item[field] = draw(values)
    return draw(
        st.one_of(
            st.just(item),
            st.just(item),
            st.just(item),
            st.integers(),
            st.lists(st.none(), max_size=1),
        )
    )


# Readings as a line sends them, each field there or not: most bodies of these
# are accepted, so the two paths' rows are compared, not only their errors.
READINGS = st.fixed_dictionaries(
    {
        "metric": st.sampled_from(["porosity", "tensile_mpa", "温度"]),
        "value": st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.integers(min_value=-(10**20), max_value=10**20),
        ),
    },
    optional={
        "recorded_at": st.one_of(TIMES, st.none()),
        "source": st.one_of(st.text(max_size=200), st.none()),
        "client_key": st.sampled_from(["k1", None]),
    },
)


@settings(max_examples=400, deadline=None)
@given(batch=st.one_of(items(), st.lists(st.one_of(items(), READINGS), max_size=6)))
def test_any_body_gets_the_same_answer_on_either_path(batch: Any) -> None:
    same_answer(json.dumps(batch).encode())


@settings(max_examples=300, deadline=None)
@given(batch=st.one_of(READINGS, st.lists(READINGS, min_size=1, max_size=20)))
def test_well_formed_batches_are_read_alike_on_either_path(batch: Any) -> None:
    same_answer(json.dumps(batch, ensure_ascii=False).encode())


def test_what_line_systems_send_is_stored_as_sent() -> None:
    sent = [
        {"metric": "porosity", "value": 1, "client_key": "line-4:7"},
        {"metric": "tensile_mpa", "value": 251.5, "source": "press 2", "client_key": "line-4:7"},
        {"metric": "porosity", "value": -0.25, "recorded_at": "2026-01-31T08:00:00+05:30"},
    ]
    kind, rows, key = same_answer(json.dumps(sent).encode())
    assert kind == "stored" and key == "line-4:7"
    assert [(r["metric"], r["value"], r["source"]) for r in rows] == [
        ("porosity", 1.0, None),
        ("tensile_mpa", 251.5, "press 2"),
        ("porosity", -0.25, None),
    ]
    assert rows[0]["recorded_at"] is None  # stamped when stored
    assert rows[2]["recorded_at"] == ("2026-01-31T08:00:00+05:30", rows[2]["recorded_at"][1])


def test_bodies_the_fast_path_refuses_get_the_errors_they_always_had() -> None:
    cases = {
        b"": ("refused", 422),
        b"[]": ("refused", 422),
        b"{": ("refused", 400),
        b'[{"metric": "porosity", "value": NaN}]': ("refused", 422),
        b'[{"metric": "porosity", "value": 1e999}]': ("refused", 422),
        b'[{"metric": "porosity", "value": true}]': ("refused", 422),
        b'[{"metric": "porosity", "value": 1, "source": "\\ud800"}]': ("refused", 422),
        b'[{"metric": "porosity", "value": 1, "colour": "red"}]': ("refused", 422),
        b'[{"metric":"a","value":1,"client_key":"x"},{"metric":"a","value":2,"client_key":"y"}]': (
            "refused",
            422,
        ),
        b"[" + b"[" * 40 + b"]" * 40 + b"]": ("refused", 400),
        b"\xff\xfe": ("refused", 400),
    }
    for raw, (kind, status) in cases.items():
        got = same_answer(raw)
        assert got[:2] == (kind, status), (raw, got)
    # More than a batch holds: 413, as before.
    big = json.dumps([{"metric": "porosity", "value": 1.0}] * 10_001).encode()
    assert same_answer(big)[:2] == ("refused", 413)
