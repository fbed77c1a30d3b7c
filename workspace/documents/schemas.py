from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from workspace.documents.models import DOCUMENT_KINDS
from workspace.fields import OptionalTitle, Title, UTCDateTime, at_most, id_range


class DocumentSchema(Schema):
    id = fields.Integer()
    workspace_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    text = fields.String()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    agreed_version_id = fields.Integer(allow_none=True)
    changed_since_agreed = fields.Boolean(
        allow_none=True, metadata={"description": "The text differs from the agreed version."}
    )


class DocumentCreateSchema(Schema):
    title = Title(required=True)
    kind = fields.String(load_default="answer", validate=validate.OneOf(DOCUMENT_KINDS))
    text = fields.String(load_default="")


class DocumentUpdateSchema(Schema):
    title = Title(
        required=True,
        metadata={"description": "Trimmed; 1 to 200 characters with something visible."},
    )


class TextSchema(Schema):
    text = fields.String(required=True)


class PreviewSchema(Schema):
    html = fields.String()


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ApprovalSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    side = fields.String()
    created_at = UTCDateTime()


class VersionSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    label = fields.String()
    author = fields.Nested(PersonSchema, allow_none=True)
    auto = fields.Boolean()
    created_at = UTCDateTime()
    text = fields.String()
    approvals = fields.List(fields.Nested(ApprovalSchema))


class VersionCreateSchema(Schema):
    label = OptionalTitle(
        load_default=None,
        allow_none=True,
        metadata={"description": "Left out or blank: the next number, `vN`."},
    )


class VersionListQuerySchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))


class DiffQuerySchema(Schema):
    from_ = fields.String(
        required=True,
        data_key="from",
        validate=validate.Length(max=32),
        metadata={"description": "A version id, or `current`."},
    )
    to = fields.String(
        required=True,
        validate=validate.Length(max=32),
        metadata={"description": "A version id, or `current`."},
    )
    layout = fields.String(
        load_default="unified",
        validate=validate.OneOf(("unified", "split")),
        metadata={
            "description": "`split` adds `side_by_side`: aligned "
            "rows with the changes inside lines."
        },
    )


class DiffPartSchema(Schema):
    text = fields.String()
    changed = fields.Boolean()


class DiffSideSchema(Schema):
    n = fields.Integer(metadata={"description": "Line number, from 1."})
    parts = fields.List(fields.Nested(DiffPartSchema))


class DiffRowSchema(Schema):
    kind = fields.String(metadata={"enum": ["equal", "change", "delete", "insert"]})
    old = fields.Nested(DiffSideSchema, allow_none=True)
    new = fields.Nested(DiffSideSchema, allow_none=True)


class DiffHunkSchema(Schema):
    old_start = fields.Integer()
    new_start = fields.Integer()
    rows = fields.List(fields.Nested(DiffRowSchema))


class DiffSchema(Schema):
    from_ = fields.Raw(data_key="from", attribute="from")
    to = fields.Raw()
    from_label = fields.String()
    to_label = fields.String()
    unified = fields.String()
    side_by_side = fields.List(
        fields.Nested(DiffHunkSchema),
        metadata={
            "description": "With `layout=split`: hunks of old | new rows, 3 lines of context; "
            "words (characters in Chinese and Japanese) changed inside a line "
            "are marked."
        },
    )


class ApproveResultSchema(Schema):
    version = fields.Nested(VersionSchema)
    agreed = fields.Boolean()
    agreed_version_id = fields.Integer(allow_none=True)


class AnchorSchema(Schema):
    from_ = fields.Integer(
        required=True, strict=True, data_key="from", validate=validate.Range(min=0)
    )
    to = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    quote = fields.String(dump_only=True)

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data["from_"] > data["to"]:
            raise ValidationError("`from` must not be after `to`.", "to")


class CommentSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    author = fields.Nested(PersonSchema, allow_none=True)
    body = fields.String()
    anchor = fields.Raw(
        allow_none=True,
        metadata={"description": "null or {from, to, quote} in characters (code points)"},
    )
    created_at = UTCDateTime()
    mentions = fields.List(fields.Integer())
    parent_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null, or the thread's first comment this one replies to"},
    )
    resolved = fields.Boolean(
        metadata={
            "description": "The thread is resolved (top-level comments only; replies: false)."
        }
    )
    resolved_by = fields.Nested(PersonSchema, allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    edited_at = UTCDateTime(allow_none=True, metadata={"description": "null until edited"})


def _comment_body() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=10000, error="Must be 1 to 10000 characters."),
    )


def _mentions() -> fields.List:
    return fields.List(
        fields.Integer(strict=True, validate=id_range()),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "User ids to mention, each a member of the workspace (else 422); "
            "added to those found by `@name` in the body."
        },
    )


class CommentCreateSchema(Schema):
    body = _comment_body()
    anchor = fields.Nested(AnchorSchema, load_default=None, allow_none=True)
    parent_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=id_range(),
        metadata={"description": "Reply to this top-level comment (the reply takes its anchor)."},
    )
    mentions = _mentions()


class CommentEditSchema(Schema):
    body = _comment_body()
    mentions = _mentions()


class CommentListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))
    resolved = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "true or false: only the threads whose first comment is (not) "
            "resolved, with their replies."
        },
    )


class SuggestionAnchorSchema(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    quote = fields.String(metadata={"description": "The text it replaces, as it was when made."})
    found = fields.Boolean(
        metadata={
            "description": "Those words still stand in their place (false: accepting it gives 409)."
        }
    )


class SuggestionSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    author = fields.Nested(PersonSchema, allow_none=True)
    anchor = fields.Nested(SuggestionAnchorSchema)
    text = fields.String(metadata={"description": "The replacement; empty deletes."})
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "open, accepted, rejected or outdated"})
    created_at = UTCDateTime()
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    decided_at = UTCDateTime(allow_none=True)


class SuggestionCreateSchema(Schema):
    anchor = fields.Nested(
        AnchorSchema,
        required=True,
        metadata={"description": "{from, to} in characters (code points); an empty range inserts."},
    )
    text = fields.String(
        required=True,
        validate=at_most(10000),
        metadata={"description": "The replacement; empty deletes the range."},
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=at_most(2000),
    )


SUGGESTION_STATUSES = ("open", "accepted", "rejected", "outdated")


class SuggestionListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=64))
    status = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "open, accepted, rejected or outdated; several comma-separated."},
    )

    @validates_schema
    def _statuses(self, data: dict, **_: object) -> None:
        bad = [
            s for s in (data.get("status") or "").split(",") if s and s not in SUGGESTION_STATUSES
        ]
        if bad:
            raise ValidationError(
                f"Unknown status: {', '.join(bad)} (use {', '.join(SUGGESTION_STATUSES)}).",
                "status",
            )

    @post_load
    def _status_list(self, data: dict, **_: object) -> dict:
        data["statuses"] = [s for s in (data.pop("status") or "").split(",") if s]
        return data
