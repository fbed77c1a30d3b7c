from marshmallow import Schema, fields, validate

from workspace.fields import Title, UTCDateTime
from workspace.organizations.models import ORGANIZATION_KINDS


class OrganizationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    created_at = UTCDateTime()


class OrganizationCreateSchema(Schema):
    name = Title(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORGANIZATION_KINDS))
