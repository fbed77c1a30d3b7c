from marshmallow import Schema, fields, validate

from workspace.fields import UTCDateTime


class TrancheSchema(Schema):
    milestone_id = fields.Integer()
    amount = fields.String(allow_none=True, metadata={"description": "Decimal as a string"})
    currency = fields.String(allow_none=True)
    released = fields.Boolean(metadata={"description": "true once the milestone is reached"})


class TrancheUpdateSchema(Schema):
    amount = fields.Decimal(required=True, places=2, as_string=True,
                            validate=validate.Range(min=0, max=10**15, min_inclusive=False),
                            metadata={"description": "Positive, at most 2 decimals kept"})
    currency = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY, EUR or USD."))


class EvidencePackSchema(Schema):
    milestone_id = fields.Integer()
    status = fields.String(metadata={"description": "pending, ready or failed"})
    content_hash = fields.String(allow_none=True, metadata={
        "description": "SHA-256 of the evidence data, printed in the PDF"})
    file_hash = fields.String(allow_none=True, metadata={"description": "SHA-256 of the PDF"})
    created_at = UTCDateTime()
    finished_at = UTCDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    download_url = fields.String(allow_none=True)
