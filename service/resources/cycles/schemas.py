from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...cycle_state import STATES, cycle_state
from ..fields import UTCDateTime


class WindowSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class CycleSchema(Schema):
    """A cycle as the API shows it (the scenario's `cycle` plus the service's own settings)."""

    id = fields.Int(dump_only=True)
    name = fields.Str()
    window = fields.Function(lambda c: {"start": c.window_start.isoformat(), "end": c.window_end.isoformat()})
    excluded_dates = fields.List(fields.Str())
    freeze_before = fields.Date(allow_none=True)
    team_size = fields.Int()
    visit_days = fields.Int()
    lead_required = fields.Bool()
    backfill_budget = fields.Float(allow_none=True)
    support_budget = fields.Float(allow_none=True)
    cluster_budgets = fields.Dict(keys=fields.Str(), values=fields.Float())
    policy = fields.Dict()
    weights = fields.Dict()
    notice_days = fields.Int()
    auto_publish = fields.Bool()
    auto_publish_max_changes = fields.Int()
    published_version = fields.Function(
        lambda c: c.published_version.number if c.published_version else None,
        metadata={"description": "number of the published plan version, if any"},
    )
    created_at = UTCDateTime(dump_only=True)
    state = fields.Function(lambda c: cycle_state(c), metadata={"enum": list(STATES)})


class CycleUpdateSchema(Schema):
    """Fields to change; the cycle that results must still be a valid scenario."""

    name = fields.Str(validate=validate.Length(min=1, max=200))
    window = fields.Nested(WindowSchema)
    excluded_dates = fields.List(fields.Date())
    freeze_before = fields.Date(allow_none=True)
    team_size = fields.Int(validate=validate.Range(min=1))
    visit_days = fields.Int(validate=validate.Range(min=1, max=5))
    lead_required = fields.Bool()
    backfill_budget = fields.Float(allow_none=True, validate=validate.Range(min=0))
    support_budget = fields.Float(allow_none=True, validate=validate.Range(min=0))
    cluster_budgets = fields.Dict(keys=fields.Str(), values=fields.Float(validate=validate.Range(min=0)))
    policy = fields.Dict()
    weights = fields.Dict()
    notice_days = fields.Int(validate=validate.Range(min=0, max=365))
    auto_publish = fields.Bool()
    auto_publish_max_changes = fields.Int(validate=validate.Range(min=0))

    @validates_schema
    def window_in_order(self, data, **_):
        window = data.get("window")
        if window and window["end"] < window["start"]:
            raise ValidationError("the window ends before it starts", "window")


class CreatedSchema(Schema):
    id = fields.Int(required=True)
