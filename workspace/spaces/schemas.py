from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workspace.fields import Id, Title, UTCDateTime, at_most
from workspace.spaces.models import WORKSPACE_ROLES, WORKSPACE_STATUSES


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class WorkspaceSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    status = fields.String()
    enterprise_id = fields.Integer()
    university_id = fields.Integer()
    enterprise = fields.Nested(OrganizationRefSchema)
    university = fields.Nested(OrganizationRefSchema)
    my_role = fields.String(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


SUMMARY = at_most(5000)


class WorkspaceCreateSchema(Schema):
    title = Title(required=True)
    summary = fields.String(load_default="", validate=SUMMARY)
    enterprise_id = Id(required=True)
    university_id = Id(required=True)


class WorkspaceUpdateSchema(Schema):
    title = Title()
    summary = fields.String(validate=SUMMARY)
    status = fields.String(validate=validate.OneOf(WORKSPACE_STATUSES))


class MemberSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    email = fields.String()
    role = fields.String()
    side = fields.String()


class MemberRoleSchema(Schema):
    role = fields.String(
        required=True,
        validate=validate.OneOf(WORKSPACE_ROLES),
        metadata={
            "description": "The new workspace role. The last owner "
            "cannot be demoted (409 `last_owner`)."
        },
    )


class MemberCreateSchema(Schema):
    user_id = Id(metadata={"description": "The user to add (or give `email`)."})
    email = fields.Email(
        validate=validate.Length(max=254),
        metadata={
            "description": "Alternative to user_id, for people who know a colleague's address only."
        },
    )
    role = fields.String(required=True, validate=validate.OneOf(WORKSPACE_ROLES))

    @validates_schema
    def _one_person(self, data: dict, **_: object) -> None:
        if ("user_id" in data) == ("email" in data):
            raise ValidationError("Give user_id or email.", field_name="user_id")


class WorkspaceListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(WORKSPACE_STATUSES))
