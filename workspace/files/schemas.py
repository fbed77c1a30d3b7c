"""Shapes of files (answers, list filters, OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields

from workspace.fields import UTCDateTime, id_range
from workspace.http import PageQuerySchema, multipart_body


class FileUploaderSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class AttachedToSchema(Schema):
    type = fields.String(metadata={"enum": ["trial", "milestone", "document"]})
    id = fields.Integer()


class FileSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    name = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    sha256 = fields.String()
    uploaded_by = fields.Nested(FileUploaderSchema, allow_none=True)
    created_at = UTCDateTime()
    attached_to = fields.Nested(AttachedToSchema, allow_none=True)


class FileListQuerySchema(PageQuerySchema):
    trial_id = fields.Integer(load_default=None, validate=id_range())
    milestone_id = fields.Integer(load_default=None, validate=id_range())
    document_id = fields.Integer(load_default=None, validate=id_range())


UPLOAD_BODY = multipart_body(
    {
        "file": {"type": "string", "format": "binary"},
        "trial_id": {"type": "integer"},
        "milestone_id": {"type": "integer"},
        "document_id": {"type": "integer"},
    },
    "The file, and at most one of trial_id, milestone_id, document_id (of this workspace).",
)
