from marshmallow import Schema, fields, validate

from ..fields import Money, Tag


class RequestSchema(Schema):
    id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    school_urn = fields.Str(required=True)
    days = fields.Int(validate=validate.Range(min=1))
    focus = fields.List(Tag())
    priority = fields.Int(validate=validate.Range(min=1))


class ProviderSchema(Schema):
    id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    school_urn = fields.Str(required=True)
    capacity_days = fields.Int(validate=validate.Range(min=0))
    day_rate = Money()
    specialisms = fields.List(Tag())


class RequestOutSchema(RequestSchema):
    id = fields.Str(attribute="ext_id")
    school_urn = fields.Function(lambda r: r.school.urn)


class ProviderOutSchema(ProviderSchema):
    id = fields.Str(attribute="ext_id")
    school_urn = fields.Function(lambda r: r.school.urn)
