from marshmallow import Schema, fields, validate

from workspace.dashboard.query import SORTS
from workspace.exports.models import EXPORT_FORMATS
from workspace.fields import Id, UTCDateTime
from workspace.spaces.models import WORKSPACE_STATUSES


class ExportCreateSchema(Schema):
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS))
    organization_id = Id(load_default=None, allow_none=True)
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(WORKSPACE_STATUSES)
    )
    overdue = fields.Boolean(load_default=None, allow_none=True)
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    sort = fields.String(load_default="title", validate=validate.OneOf(SORTS))
    order = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")))


class ExportTaskSchema(Schema):
    id = fields.String()
    format = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    done = fields.Integer(metadata={"description": "rows written so far"})
    total = fields.Integer()
    filename = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    params = fields.Dict()
    created_at = UTCDateTime()
    finished_at = UTCDateTime(allow_none=True)
    download_url = fields.String(allow_none=True)
