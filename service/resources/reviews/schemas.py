from marshmallow import Schema, fields, validate

from ..fields import Tag


class ReviewSchema(Schema):
    school_urn = fields.Str(required=True)
    priority = fields.Int(validate=validate.Range(min=1))
    focus = fields.List(Tag())
    team_size = fields.Int(allow_none=True, validate=validate.Range(min=1))
    earliest = fields.Date(allow_none=True)
    latest = fields.Date(allow_none=True)


class ReviewOutSchema(ReviewSchema):
    school_urn = fields.Function(lambda r: r.school.urn)
    school_name = fields.Function(lambda r: r.school.name)
    locked = fields.Bool()
