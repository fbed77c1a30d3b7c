"""Shapes of indicators, trials and measurements (validation and OpenAPI)."""

from __future__ import annotations

import math
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workspace.fields import Id, OptionalTitle, SingleLine, Title, UTCDateTime, at_most
from workspace.trials.models import AGGREGATES, COMPARATORS, TRIAL_STATUSES
from workspace.trials.parameter_text import parse_lines

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MAX_PARAMETERS = 100
MAX_BATCH = 10_000


def finite_number(value: Any) -> float:
    """JSON numbers only: no strings, booleans, NaN or Infinity (Python's json
    parser accepts the `NaN` and `Infinity` literals, so they are refused here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("Must be a number.")
    try:
        number = float(value)
    except OverflowError:
        raise ValidationError("Must be a finite number.") from None
    if not math.isfinite(number):
        raise ValidationError("Must be a finite number (not NaN or Infinity).")
    return number


class FiniteNumber(fields.Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        return finite_number(value)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class Parameters(fields.Dict):
    """Trial parameters: key → number or non-empty short string; or the same as text,
    one `name = value` per line (what people type), every unreadable line an error."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value, problems = parse_lines(value)
            if problems:
                raise ValidationError(problems)
        if not isinstance(value, dict):
            raise ValidationError(
                "Must be an object of key → number or string, or lines of name = value."
            )
        if len(value) > MAX_PARAMETERS:
            raise ValidationError(f"At most {MAX_PARAMETERS} parameters.")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not key.strip() or len(key) > 64:
                raise ValidationError("Parameter names are 1 to 64 characters.")
            if isinstance(item, str):
                if not item.strip():
                    raise ValidationError(f"{key}: the value is empty.")
                if len(item) > 500:
                    raise ValidationError(f"{key}: at most 500 characters.")
                out[key] = item
            else:
                try:
                    number = finite_number(item)
                except ValidationError:
                    raise ValidationError(f"{key}: must be a finite number or a string.") from None
                out[key] = item if isinstance(item, int) else number
        return out


# ------------------------------------------------------------------ indicators
class IndicatorSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    key = fields.String()
    label = fields.String()
    unit = fields.String()
    comparator = fields.String()
    target = fields.Float()
    aggregate = fields.String()
    lower_spec = fields.Float(allow_none=True)
    upper_spec = fields.Float(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class _IndicatorFields(Schema):
    label = Title()
    unit = fields.String(validate=at_most(32))
    comparator = fields.String(validate=validate.OneOf(COMPARATORS))
    target = FiniteNumber()
    aggregate = fields.String(validate=validate.OneOf(AGGREGATES))
    lower_spec = FiniteNumber(allow_none=True)
    upper_spec = FiniteNumber(allow_none=True)

    @validates_schema
    def _limits_in_order(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("lower_spec"), data.get("upper_spec")
        if low is not None and high is not None and low >= high:
            raise ValidationError("Must be below upper_spec.", "lower_spec")


class IndicatorCreateSchema(_IndicatorFields):
    key = fields.String(
        required=True,
        validate=validate.Regexp(
            KEY_PATTERN,
            error="Lower-case letters, digits and _, starting with a letter "
            "(at most 64), e.g. yield_pct.",
        ),
    )
    label = Title(required=True)
    unit = fields.String(load_default="", validate=validate.Length(max=32))
    comparator = fields.String(required=True, validate=validate.OneOf(COMPARATORS))
    target = FiniteNumber(required=True)
    aggregate = fields.String(load_default="mean", validate=validate.OneOf(AGGREGATES))
    lower_spec = FiniteNumber(load_default=None, allow_none=True)
    upper_spec = FiniteNumber(load_default=None, allow_none=True)


class IndicatorUpdateSchema(_IndicatorFields):
    """The key cannot change: measurements and stored results refer to it."""


# ------------------------------------------------------------------ trials
class ResultSchema(Schema):
    value = fields.Float(allow_none=True)
    met = fields.Boolean(allow_none=True)
    target = fields.Float()
    comparator = fields.String()
    indicator_id = fields.Integer()


class TrialSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    number = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    title = fields.String()
    line = fields.String()
    batch = fields.String()
    hypothesis = fields.String()
    parameters = fields.Dict()
    status = fields.String()
    outcome = fields.String(metadata={"enum": ["pending", "passed", "failed"]})
    results = fields.Dict(keys=fields.String(), values=fields.Nested(ResultSchema))
    baseline = fields.Boolean()
    measurement_count = fields.Integer()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    started_at = UTCDateTime(allow_none=True)
    finished_at = UTCDateTime(allow_none=True)


TEXT_200 = at_most(200)
HYPOTHESIS = at_most(20_000)


class TrialCreateSchema(Schema):
    title = OptionalTitle(load_default="")
    parent_id = Id(load_default=None, allow_none=True)
    line = SingleLine(load_default="", validate=TEXT_200)
    batch = SingleLine(load_default="", validate=TEXT_200)
    hypothesis = fields.String(load_default="", validate=HYPOTHESIS)
    parameters = Parameters(
        load_default=dict,
        metadata={
            "description": "An object of name → number or non-empty string, or the same as "
            "text, one `name = value` per line: every unreadable line is a 422 "
            "naming it (`line N: …`), and nothing is stored."
        },
    )
    baseline = fields.Boolean(load_default=False)


class TrialUpdateSchema(Schema):
    title = OptionalTitle()
    parent_id = Id(allow_none=True)
    line = SingleLine(validate=TEXT_200)
    batch = SingleLine(validate=TEXT_200)
    hypothesis = fields.String(validate=HYPOTHESIS)
    parameters = Parameters()
    baseline = fields.Boolean()
    status = fields.String(validate=validate.OneOf(TRIAL_STATUSES))


class NextIterationSchema(Schema):
    title = OptionalTitle(load_default=None, allow_none=True)
    hypothesis = fields.String(load_default="", validate=HYPOTHESIS)
    batch = SingleLine(load_default="", validate=TEXT_200)
    parameters = Parameters(
        load_default=dict, metadata={"description": "Changes merged over the parent's parameters."}
    )


class TrialListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(TRIAL_STATUSES))


# ------------------------------------------------------------------ measurements
class MeasurementSchema(Schema):
    id = fields.Integer()
    metric = fields.String()
    value = fields.Float()
    recorded_at = UTCDateTime()
    source = fields.String(allow_none=True)


class MeasurementInputSchema(Schema):
    """Documentation of one item; the body is one of these or a list of up to
    10,000 sharing one optional client_key."""

    metric = fields.String(required=True, metadata={"description": "An indicator key."})
    value = fields.Float(required=True, metadata={"description": "A finite number."})
    recorded_at = UTCDateTime(metadata={"description": "Default: when received."})
    source = SingleLine(validate=TEXT_200)
    client_key = fields.String(
        validate=TEXT_200,
        metadata={"description": "Re-sending a batch with the same key stores it once."},
    )


class MeasurementsRecordedSchema(Schema):
    trial_id = fields.Integer()
    count = fields.Integer()
    metrics = fields.List(fields.String())
    client_key = fields.String(allow_none=True)
    outcome = fields.String()
    results = fields.Dict(keys=fields.String(), values=fields.Nested(ResultSchema))


class MeasurementListQuerySchema(Schema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))
    metric = fields.String(load_default=None, validate=validate.Length(max=64))
