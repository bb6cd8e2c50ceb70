from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...hand_changes import ACTIONS
from ..plans.schemas import PlanVersionSchema, TeamMemberSchema

NEEDS = {"swap": ("reviewer_out", "reviewer_in"), "move": ("date",), "set": ("date", "team"), "remove": ()}


class HandChangeSchema(Schema):
    action = fields.Str(required=True, validate=validate.OneOf(ACTIONS))
    school_urn = fields.Str(required=True, validate=validate.Length(min=1, max=16))
    reviewer_out = fields.Str(metadata={"description": "swap: the reviewer who leaves the visit"})
    reviewer_in = fields.Str(metadata={"description": "swap: the reviewer who takes their place (and role)"})
    date = fields.Date(metadata={"description": "move, set: the visit's new start date"})
    team = fields.List(
        fields.Nested(TeamMemberSchema), validate=validate.Length(min=1), metadata={"description": "set"}
    )
    base_version = fields.Int(
        validate=validate.Range(min=1), metadata={"description": "the version to change (default: the latest)"}
    )
    note = fields.Str(validate=validate.Length(max=2000))

    @validates_schema
    def what_the_action_needs(self, data, **_):
        missing = [f for f in NEEDS.get(data.get("action"), ()) if data.get(f) in (None, "", [])]
        if missing:
            raise ValidationError({f: [f"required to {data['action']}"] for f in missing})


class ProblemSchema(Schema):
    rule = fields.Str(metadata={"description": "the rule's key, e.g. `availability`"})
    label = fields.Str(metadata={"description": "how messages name it, e.g. `rule 4 (availability)`"})
    path = fields.Str(metadata={"description": "where in the plan, e.g. `reviews[3]`"})
    school_urn = fields.Str(allow_none=True)
    school = fields.Str(allow_none=True)
    who = fields.List(fields.Str(), metadata={"description": "reviewer ids"})
    people = fields.List(fields.Str(), metadata={"description": "the same, by name"})
    date = fields.Str(allow_none=True)
    message = fields.Str(metadata={"description": "the solver's checker's own words"})


class HandChangeResultSchema(Schema):
    version = fields.Nested(PlanVersionSchema)
    pinned = fields.Bool(metadata={"description": "later solves keep this visit as it is until it is released"})
    problems_elsewhere = fields.List(
        fields.Nested(ProblemSchema),
        metadata={"description": "rules the plan broke already before this change (not caused by it)"},
    )


class PinSchema(Schema):
    school_urn = fields.Function(lambda p: p.review.school.urn)
    version = fields.Function(lambda p: p.plan_version.number)
    date = fields.Function(
        lambda p: next(
            (v["date"] for v in p.plan_version.plan.get("reviews", []) if v["school_urn"] == p.review.school.urn), None
        )
    )
