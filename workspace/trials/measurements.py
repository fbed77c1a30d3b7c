"""Measurements streaming in from the line: validated here, before any lock;
stored in bulk, once, by ingest_writer.py.

A request body is decoded and checked in one pass by msgspec, against the
shape line systems send (`_Reading`): the JSON parse, the nesting check and
the per-item checks in Python were most of a batch's parse time. Whatever it
refuses goes through `json_input.parse` and the checks below, which name
every problem (index and field) as before; so msgspec only decides what is
accepted where both agree, and every error is still worded here.
"""

from __future__ import annotations

import math
import sys
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace import json_input
from workspace.auth.access import Need
from workspace.auth.models import User
from workspace.errors import PayloadTooLarge, ValidationFailed
from workspace.trials.models import Measurement
from workspace.trials.readings import Readings
from workspace.trials.schemas import MAX_BATCH
from workspace.trials.service import get_trial

ALLOWED_KEYS = {"metric", "value", "recorded_at", "source", "client_key"}
MAX_ERRORS = 20
_FINITE = msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)


class _Reading(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One item as line systems send it. The time stays text: `_parse_time`
    reads it, the same way on either path. Its fields hold no containers, so
    it cannot be in a cycle: untracked by the garbage collector (gc=False),
    a batch's thousand of them do not set off collections."""

    metric: Annotated[str, msgspec.Meta(min_length=1)]
    value: Annotated[float, _FINITE]  # JSON integers too; no bool, NaN or ±inf
    recorded_at: str | None = None
    source: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    client_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None


_DECODER = msgspec.json.Decoder(list[_Reading] | _Reading)


def parse_body(raw: bytes) -> tuple[Readings, str | None]:
    """A request body → readings and the batch's client key, as
    `parse_measurements` gives them for the parsed JSON (and with its errors)."""
    # A `\uD800` escape: json_input refuses the lone surrogate with its own 422.
    if raw and json_input.SURROGATE_ESCAPE.search(raw) is None:
        try:
            decoded = _DECODER.decode(raw)
        except msgspec.DecodeError:  # invalid JSON, or not this shape
            decoded = None
        if decoded is not None:
            parsed = _readings_of([decoded] if isinstance(decoded, _Reading) else decoded)
            if parsed is not None:
                return parsed
    return parse_measurements(json_input.parse(raw) if raw else {})


def _readings_of(items: list[_Reading]) -> tuple[Readings, str | None] | None:
    """Readings for decoded items, a column at a time; None where
    `parse_measurements` has an error to give (an empty or oversized batch, a
    bad time, two client keys)."""
    if not items or len(items) > MAX_BATCH:
        return None
    keys = {item.client_key for item in items}
    keys.discard(None)
    if len(keys) > 1:
        return None
    sent = [item.recorded_at for item in items]
    times: list[datetime | None] = sent  # all None: a live batch, stamped when stored
    if sent.count(None) != len(sent):
        # Each distinct text once: a batch of the past often shares its times.
        parsed = {at: _parse_time(at) for at in set(sent) if at is not None}
        if None in parsed.values():
            return None
        times = [None if at is None else parsed[at] for at in sent]
    readings = Readings(
        [item.metric for item in items],
        [item.value for item in items],
        times,
        [item.source for item in items],
    )
    return readings, next(iter(keys), None)


def parse_measurements(payload: Any) -> tuple[Readings, str | None]:
    """One object or a list of them → readings, and the batch's client key. A
    reading sent without a time has `recorded_at` None: it is given the time
    the batch is stored (ingest_writer.py), under the trial's lock."""
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise ValidationFailed(
            "Send one measurement object or a list of them.",
            fields={"_schema": ["Expected an object or a list."]},
        )
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(
            f"A batch holds at most {MAX_BATCH:,} measurements; this one has {len(items):,}. "
            "Split it into several requests.",
            fields={"_schema": [f"At most {MAX_BATCH}."]},
        )
    if not items:
        raise ValidationFailed("The batch is empty.", fields={"_schema": ["No measurements."]})
    rows, keys = _parse_each(items, single)
    if len(keys) > 1:
        raise ValidationFailed(
            "All measurements of one batch share one client_key.",
            fields={"client_key": ["Differs between items."]},
        )
    return rows, next(iter(keys), None)


def _parse_each(items: list[Any], single: bool) -> tuple[Readings, set[str]]:
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, item in enumerate(items):
        where = "" if single else f"{index}."
        for field, message in _parse_slow(item, rows, keys):
            if len(errors) < MAX_ERRORS:
                errors[f"{where}{field}"] = [message]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"Invalid measurement at {first}: {errors[first][0]}", fields=errors)
    return Readings.of_rows(rows), keys


def _parse_slow(item: Any, rows: list[dict[str, Any]], keys: set[str]) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [("_schema", "Expected an object with metric and value.")]
    problems = [(k, "Unknown field.") for k in item if k not in ALLOWED_KEYS]
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric:
        problems.append(("metric", "Required: an indicator key."))
    value = item.get("value")
    if "value" not in item:
        problems.append(("value", "Required."))
    elif isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(("value", "Must be a number."))
    else:
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            problems.append(("value", "Must be a finite number (not NaN or Infinity)."))
    recorded_at = None
    if item.get("recorded_at") is not None:
        recorded_at = _parse_time(item["recorded_at"])
        if recorded_at is None:
            problems.append(
                ("recorded_at", "An ISO-8601 time with a zone, e.g. 2026-01-31T08:00:00Z.")
            )
    source = item.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > 200):
        problems.append(("source", "A string of at most 200 characters."))
    key = item.get("client_key")
    if key is not None:
        if not isinstance(key, str) or not key or len(key) > 200:
            problems.append(("client_key", "A string of 1 to 200 characters."))
        else:
            keys.add(key)
    if not problems:
        rows.append(
            {"metric": metric, "value": value, "recorded_at": recorded_at, "source": source}
        )
    return problems


def _parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def list_measurements(
    session: Session,
    actor: User,
    trial_id: int,
    after_id: int,
    limit: int,
    metric: str | None = None,
) -> list[Measurement]:
    trial = get_trial(session, actor, trial_id, Need.READ)
    stmt = select(Measurement).where(Measurement.trial_id == trial.id, Measurement.id > after_id)
    if metric:
        stmt = stmt.where(Measurement.metric == metric)
    return list(session.scalars(stmt.order_by(Measurement.id).limit(limit + 1)))
