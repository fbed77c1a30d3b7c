from decimal import Decimal

from marshmallow import Schema, fields, validate

from workspace.fields import UTCDateTime


class TrancheSchema(Schema):
    milestone_id = fields.Integer()
    amount = fields.String(allow_none=True, metadata={"description": "Decimal as a string"})
    currency = fields.String(allow_none=True)
    released = fields.Boolean(metadata={"description": "true once the milestone is reached"})


class TrancheUpdateSchema(Schema):
    # 0.01, not "above 0": the same amounts (two places are kept, so 0.004 is
    # 0.00), and a bound the OpenAPI document can state as it is.
    amount = fields.Decimal(
        required=True,
        places=2,
        as_string=True,
        validate=validate.Range(min=Decimal("0.01"), max=10**15),
        metadata={"description": "At least 0.01, at most 10^15; two decimals kept"},
    )
    currency = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY, EUR or USD."),
    )


class EvidencePackSchema(Schema):
    milestone_id = fields.Integer()
    status = fields.String(metadata={"description": "pending, ready or failed"})
    content_hash = fields.String(
        allow_none=True,
        metadata={"description": "SHA-256 of the evidence data, printed in the PDF"},
    )
    file_hash = fields.String(allow_none=True, metadata={"description": "SHA-256 of the PDF"})
    created_at = UTCDateTime()
    finished_at = UTCDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    download_url = fields.String(allow_none=True)
