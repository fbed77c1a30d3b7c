from marshmallow import Schema, fields, validate

from workspace.auth.models import LOCALES, PLATFORM_ROLES, TOKEN_SCOPES
from workspace.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from workspace.fields import Id, Title, UTCDateTime


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organization_id = fields.Integer(allow_none=True)
    locale = fields.String()
    timezone = fields.String()
    active = fields.Boolean()


class UserActiveSchema(Schema):
    active = fields.Boolean(required=True, truthy={True}, falsy={False})


class SessionSchema(Schema):
    id = fields.Integer()
    created_at = UTCDateTime()
    last_seen_at = UTCDateTime()
    user_agent = fields.String()
    device = fields.String(metadata={"description": "Browser and system, from the user agent."})
    ip = fields.String()
    current = fields.Boolean(metadata={"description": "The session making this request."})


class MeSchema(UserSchema):
    csrf_token = fields.String(
        metadata={
            "description": "For cookie sessions only: send it as X-CSRF-Token on writes. "
            "Absent for bearer calls, which need none."
        }
    )


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Title(required=True)
    password = fields.String(
        required=True, validate=validate.Length(min=PASSWORD_MIN, max=PASSWORD_MAX)
    )
    role = fields.String(load_default="member", validate=validate.OneOf(PLATFORM_ROLES))
    organization_id = Id(load_default=None, allow_none=True)
    locale = fields.String(
        load_default=None,
        validate=validate.OneOf(LOCALES),
        metadata={
            "description": "The account's language; left out, pages follow each browser's "
            "language until the person chooses one."
        },
    )


class MeUpdateSchema(Schema):
    name = Title()
    locale = fields.String(validate=validate.OneOf(LOCALES))
    timezone = fields.String(validate=validate.Length(min=1, max=64))


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class PasswordChangeSchema(Schema):
    current_password = fields.String(
        required=True, validate=validate.Length(min=1, max=PASSWORD_MAX)
    )
    new_password = fields.String(
        required=True, validate=validate.Length(min=PASSWORD_MIN, max=PASSWORD_MAX)
    )


class TokenCreateSchema(Schema):
    name = Title(required=True)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(TOKEN_SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(TOKEN_SCOPES)),
    )


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    scopes = fields.List(fields.String())
    prefix = fields.String()
    created_at = UTCDateTime()
    last_used_at = UTCDateTime(allow_none=True)
    revoked_at = UTCDateTime(allow_none=True)
    token = fields.String(metadata={"description": "Only in the creation response."})
