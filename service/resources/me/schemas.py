from marshmallow import Schema, fields


class MeSchema(Schema):
    email = fields.Str()
    role = fields.Str()
    la_code = fields.Function(lambda u: u.la.code)
    school_urn = fields.Function(lambda u: u.school.urn if u.school else None)
    school_name = fields.Function(lambda u: u.school.name if u.school else None)


class VisitorSchema(Schema):
    reviewer = fields.Str()
    name = fields.Str(allow_none=True)
    role = fields.Str()
    home_school_urn = fields.Str(allow_none=True)


class CycleRefSchema(Schema):
    id = fields.Int()
    name = fields.Str()


class MyVisitSchema(Schema):
    cycle = fields.Nested(CycleRefSchema)
    plan_version = fields.Int()
    kind = fields.Str(metadata={"enum": ["hosting", "reviewing"]})
    school_urn = fields.Str()
    school_name = fields.Str(allow_none=True)
    date = fields.Str()
    days = fields.List(fields.Str())
    distance_km = fields.Float(allow_none=True)
    team = fields.List(fields.Nested(VisitorSchema))
