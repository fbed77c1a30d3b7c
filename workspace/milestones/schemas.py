from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from workspace.fields import MAX_ID, Title, UTCDateTime, at_most
from workspace.milestones.models import MILESTONE_STATUSES

MAX_STREAK = 100


class Criteria(fields.Field):
    """null (reached by hand) or {indicators: "all" | [ids], consecutive_trials: N}."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValidationError(
                'null, or {"indicators": "all" or [ids], "consecutive_trials": N}.'
            )
        unknown = sorted(set(value) - {"indicators", "consecutive_trials"})
        if unknown:
            raise ValidationError(f"Unknown keys: {', '.join(unknown)}.")
        chosen = value.get("indicators", "all")
        if chosen != "all":
            if (
                not isinstance(chosen, list)
                or not chosen
                or not all(
                    isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_ID
                    for i in chosen
                )
            ):
                raise ValidationError('indicators: "all" or a non-empty list of indicator ids.')
            chosen = sorted(set(chosen))
        n = value.get("consecutive_trials")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_STREAK:
            raise ValidationError(f"consecutive_trials: a whole number from 1 to {MAX_STREAK}.")
        return {"indicators": chosen, "consecutive_trials": n}

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class ProgressSchema(Schema):
    streak = fields.Integer()
    needed = fields.Integer()
    indicators = fields.List(fields.String())


class MilestoneSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    due_date = fields.Date(allow_none=True)
    status = fields.String()
    reached_at = UTCDateTime(allow_none=True)
    reached_by_trial_id = fields.Integer(allow_none=True)
    criteria = Criteria(allow_none=True)
    progress = fields.Nested(ProgressSchema, allow_none=True)
    due_soon = fields.Boolean()
    overdue = fields.Boolean()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


DESCRIPTION = at_most(5000)


class MilestoneCreateSchema(Schema):
    title = Title(required=True)
    description = fields.String(load_default="", validate=DESCRIPTION)
    due_date = fields.Date(load_default=None, allow_none=True)
    criteria = Criteria(load_default=None, allow_none=True)


class MilestoneUpdateSchema(Schema):
    title = Title()
    description = fields.String(validate=DESCRIPTION)
    due_date = fields.Date(allow_none=True)
    criteria = Criteria(allow_none=True)
    status = fields.String(
        validate=validate.OneOf(
            [s for s in MILESTONE_STATUSES if s != "reached"],
            error="Set open or missed; reach a milestone with POST /milestones/{{id}}/reach.",
        )
    )
