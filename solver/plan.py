"""Plan v1 and v1.1: the marshmallow schema of the solver's answer (used to read plans back in).

v1.1 adds `groups` and `follow_ups` (both [] unless the scenario is v1.1), and says
`"version": "1.1"`; a v1 scenario's plan is v1, as before."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class MemberSchema(_Strict):
    reviewer = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(("lead", "member")))


class VisitSchema(_Strict):
    school_urn = fields.String(required=True)
    date = fields.Date(required=True)
    days = fields.List(fields.Date(), required=True)
    team = fields.List(fields.Nested(MemberSchema), required=True)


class UnstaffedSchema(_Strict):
    school_urn = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True)
    # Optional (v1-compatible): true when no plan that staffs it costs less (scenario.md).
    proven = fields.Boolean(load_default=None, allow_none=True, truthy={True}, falsy={False})


class MatchSchema(_Strict):
    request = fields.String(required=True)
    provider = fields.String(required=True)


class UnmetSchema(_Strict):
    request = fields.String(required=True)
    school_urn = fields.String(load_default=None, allow_none=True)
    reasons = fields.List(fields.String(), required=True)


class CostsSchema(_Strict):
    backfill = fields.Float(required=True)
    support = fields.Float(required=True)
    mileage = fields.Float(required=True)
    backfill_by_cluster = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


class ChangesSchema(_Strict):
    dropped_pairs = fields.Integer(required=True)
    date_changes = fields.Integer(required=True)


class WarningSchema(_Strict):
    school_urn = fields.String(load_default=None, allow_none=True)
    message = fields.String(required=True)


class GroupSchema(_Strict):
    id = fields.String(required=True)
    schools = fields.List(fields.String(), required=True)


class FollowUpVisitSchema(_Strict):
    school_urn = fields.String(required=True)
    date = fields.Date(required=True)
    days = fields.List(fields.Date(), required=True)
    lead = fields.String(required=True)


class PlanVersion(fields.Field):
    default_error_messages = {"invalid": 'must be 1 or "1.1"'}

    def _deserialize(self, value, attr, data, **kwargs):
        if (type(value) is int and value == 1) or value == "1.1":
            return value
        raise self.make_error("invalid")


class PlanSchema(Schema):
    """A plan v1 or v1.1. Unknown top-level keys are tolerated (a later plan may add some)."""

    class Meta:
        unknown = EXCLUDE

    version = PlanVersion(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    objective = fields.Float(required=True, allow_none=True)
    bound = fields.Float(required=True, allow_none=True)
    reviews = fields.List(fields.Nested(VisitSchema), required=True)
    unstaffed = fields.List(fields.Nested(UnstaffedSchema), required=True)
    support = fields.List(fields.Nested(MatchSchema), required=True)
    unmet_support = fields.List(fields.Nested(UnmetSchema), required=True)
    costs = fields.Nested(CostsSchema, required=True)
    changes = fields.Nested(ChangesSchema, required=True)
    warnings = fields.List(fields.Nested(WarningSchema), load_default=list)
    solver = fields.Dict(load_default=dict)
    groups = fields.List(fields.Nested(GroupSchema), load_default=list)  # v1.1
    follow_ups = fields.List(fields.Nested(FollowUpVisitSchema), load_default=list)  # v1.1
