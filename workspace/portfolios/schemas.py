from marshmallow import Schema, fields, validate

from workspace.fields import Id, UTCDateTime
from workspace.portfolios.service import MAX_ITEMS

IDS = validate.Length(max=MAX_ITEMS, error=f"At most {MAX_ITEMS} ids.")


class PortfolioSchema(Schema):
    manager_id = fields.Integer()
    restricted = fields.Boolean(
        metadata={"description": "false: the manager oversees every workspace (the default)."}
    )
    organization_ids = fields.List(fields.Integer())
    workspace_ids = fields.List(fields.Integer())
    overseen_workspace_ids = fields.List(fields.Integer(), allow_none=True)
    updated_at = UTCDateTime(allow_none=True)


class PortfolioUpdateSchema(Schema):
    organization_ids = fields.List(
        Id(),
        load_default=list,
        validate=IDS,
        metadata={
            "description": "Every workspace whose enterprise or university is one of these, "
            "including workspaces created later."
        },
    )
    workspace_ids = fields.List(
        Id(),
        load_default=list,
        validate=IDS,
        metadata={"description": "Workspaces chosen by hand."},
    )
