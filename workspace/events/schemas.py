from marshmallow import Schema, ValidationError, fields, validate, validates

from workspace.events.types import is_valid_pattern
from workspace.fields import MAX_EVENT_ID, id_range


class ActorSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class EventSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    type = fields.String()
    workspace_id = fields.Integer()
    actor = fields.Nested(ActorSchema, allow_none=True)
    occurred_at = fields.String(metadata={"format": "date-time"})
    data = fields.Dict()


class WorkspaceEventsQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=id_range(0))  # a seq
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=32))


class FeedQuerySchema(WorkspaceEventsQuerySchema):
    after = fields.Integer(load_default=0, validate=id_range(0, MAX_EVENT_ID))  # an event id
    types = fields.String(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "Comma-separated, e.g. milestone.*"},
    )

    @validates("types")
    def _check_types(self, value: str | None, **_: object) -> None:
        for pattern in parse_types(value) or []:
            if not is_valid_pattern(pattern):
                raise ValidationError(f"Unknown event type or pattern: {pattern}")


def parse_types(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [p.strip() for p in value.split(",") if p.strip()]
