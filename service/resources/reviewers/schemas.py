from marshmallow import Schema, fields, validate

from ..fields import PHASES, Dates, Money, Tag


class ReviewerSchema(Schema):
    id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    name = fields.Str(allow_none=True)
    school_urn = fields.Str(allow_none=True, metadata={"description": "home school; null for an adviser"})
    role = fields.Str(validate=validate.Length(min=1, max=40))
    lead_accredited = fields.Bool()
    phases = fields.List(fields.Str(validate=validate.OneOf(PHASES)), allow_none=True)
    specialisms = fields.List(Tag())
    max_reviews = fields.Int(validate=validate.Range(min=0))
    day_rate = Money()
    unavailable = Dates()


class ReviewerOutSchema(ReviewerSchema):
    id = fields.Str(attribute="ext_id")
    school_urn = fields.Function(lambda r: r.school.urn if r.school else None)
    unavailable = fields.List(fields.Str())


class UnavailableSchema(Schema):
    dates = Dates(required=True, metadata={"description": "every date the reviewer is away (replaces the list)"})


class ReviewerFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ReviewerImportResultSchema(Schema):
    created = fields.Int()
    updated = fields.Int()
    head_accounts = fields.Int(metadata={"description": "headteachers' accounts made or given a new address"})
