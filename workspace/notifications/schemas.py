from marshmallow import Schema, fields, validate

from workspace.notifications.models import CHOICES


class PreferencesSchema(Schema):
    events = fields.Dict(keys=fields.String(), values=fields.String())
    digest_hour = fields.Integer(validate=validate.Range(min=0, max=23))
    timezone = fields.String(validate=validate.Length(min=1, max=64))


class PreferencesUpdateSchema(Schema):
    events = fields.Dict(
        keys=fields.String(validate=validate.Length(max=64)),
        values=fields.String(
            validate=validate.OneOf(CHOICES, error="Choose immediate, digest or off.")
        ),
    )
    digest_hour = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=23, error="An hour from 0 to 23.")
    )
    timezone = fields.String(validate=validate.Length(min=1, max=64))
