from marshmallow import Schema, fields, validate

from workspace.dashboard.query import DEFAULT_ROWS, SORTS
from workspace.fields import IdList, id_range
from workspace.spaces.models import WORKSPACE_STATUSES

MAX_ROWS = 1000


class DashboardFiltersSchema(Schema):
    organization_id = fields.Integer(load_default=None, validate=id_range())
    status = fields.String(load_default=None, validate=validate.OneOf(WORKSPACE_STATUSES))
    overdue = fields.Boolean(
        load_default=None,
        metadata={
            "description": "true: only workspaces with an overdue milestone; false: only without"
        },
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Search in titles and organization names"},
    )
    workspace_id = IdList(
        most=MAX_ROWS,
        load_default=None,
        metadata={
            "description": "Just these workspaces' rows: one id or several, comma-separated "
            "(what a live page re-reads after a burst of events)"
        },
    )


class DashboardQuerySchema(DashboardFiltersSchema):
    sort = fields.String(load_default="title", validate=validate.OneOf(SORTS))
    order = fields.String(load_default="asc", validate=validate.OneOf(("asc", "desc")))
    limit = fields.Integer(load_default=DEFAULT_ROWS, validate=validate.Range(min=1, max=MAX_ROWS))
    cursor = fields.String(load_default=None, validate=validate.Length(max=32))


class RefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class TrialRefSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    title = fields.String()
    status = fields.String()
    outcome = fields.String()


class NextMilestoneSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    due_date = fields.Date(allow_none=True)


class CountsSchema(Schema):
    total = fields.Integer()
    reached = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    missed = fields.Integer()


class FundingSchema(Schema):
    currency = fields.String()
    planned = fields.String(metadata={"description": "Decimal amount as a string"})
    released = fields.String(metadata={"description": "Sum of tranches of reached milestones"})


class DashboardRowSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    enterprise = fields.Nested(RefSchema)
    university = fields.Nested(RefSchema)
    statement_agreed = fields.Boolean(
        allow_none=True, metadata={"description": "null when documents are not available"}
    )
    latest_trial = fields.Nested(TrialRefSchema, allow_none=True)
    next_milestone = fields.Nested(NextMilestoneSchema, allow_none=True)
    milestones = fields.Nested(CountsSchema)
    funding = fields.List(fields.Nested(FundingSchema))


class TotalsSchema(Schema):
    workspaces = fields.Integer()
    with_overdue = fields.Integer()
    agreed = fields.Integer()
    milestones = fields.Nested(CountsSchema)
    funding = fields.List(fields.Nested(FundingSchema))


class DashboardSchema(Schema):
    items = fields.List(fields.Nested(DashboardRowSchema))
    next_cursor = fields.String(allow_none=True)
    totals = fields.Nested(TotalsSchema)
    last_event_id = fields.Integer(
        metadata={"description": "Subscribe to the feed after this id to keep the rows current"}
    )
