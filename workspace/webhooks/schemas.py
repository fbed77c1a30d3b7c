from marshmallow import Schema, ValidationError, fields, validate, validates

from workspace.events.types import is_valid_pattern
from workspace.fields import UTCDateTime
from workspace.webhooks.models import FORMATS


class WebhookSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    format = fields.String()
    active = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    failing_since = UTCDateTime(allow_none=True)
    last_success_at = UTCDateTime(allow_none=True)
    previous_secret_expires_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()


class WebhookWithSecretSchema(WebhookSchema):
    """The creation and rotation responses: the only time the secret is shown."""

    secret = fields.String(allow_none=True)


class WebhookCreateSchema(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048, error="A URL of at most 2048 characters."),
    )
    events = fields.List(
        fields.String(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=50, error="Name 1 to 50 event types."),
    )
    format = fields.String(load_default="standard", validate=validate.OneOf(FORMATS))
    # The bot platform's signing secret (DingTalk "SEC…", Feishu); for
    # `standard` we make the secret ourselves.
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates("events")
    def _events(self, value: list[str], **_: object) -> None:
        _check_patterns(value)


def _check_patterns(value: list[str]) -> None:
    bad = [v for v in value if not is_valid_pattern(v)]
    if bad:
        raise ValidationError(
            f"Unknown event types: {', '.join(bad)} (use e.g. milestone.reached, milestone.* or *)."
        )


class WebhookUpdateSchema(Schema):
    active = fields.Boolean(truthy={True}, falsy={False})
    events = fields.List(
        fields.String(validate=validate.Length(max=64)),
        validate=validate.Length(min=1, max=50, error="Name 1 to 50 event types."),
    )

    @validates("events")
    def _events(self, value: list[str], **_: object) -> None:
        _check_patterns(value)


class AttemptSchema(Schema):
    at = UTCDateTime()
    response_status = fields.Integer(allow_none=True)
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)
    succeeded = fields.Boolean()
    request_headers = fields.Dict()
    request_body = fields.String()
    response_body = fields.String(allow_none=True)
    batch_size = fields.Integer()


class DeliverySchema(Schema):
    id = fields.Integer()
    webhook_id = fields.Integer(attribute="endpoint_id")
    event_id = fields.Integer(allow_none=True)
    event_type = fields.String()
    message_id = fields.String()
    status = fields.String()
    next_attempt_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()
    completed_at = UTCDateTime(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema))
