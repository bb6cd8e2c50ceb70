from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import PHASES, Dates


class SchoolSchema(Schema):
    urn = fields.Str(required=True, validate=validate.Regexp(r"^\d{5,8}$", error="a URN is 5 to 8 digits"))
    name = fields.Str(allow_none=True)
    la_code = fields.Str(allow_none=True)
    phase = fields.Str(allow_none=True, validate=validate.OneOf(PHASES))
    cluster = fields.Str(allow_none=True)
    trust = fields.Str(allow_none=True)
    lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    pupils = fields.Int(allow_none=True, validate=validate.Range(min=0))
    postcode = fields.Str(allow_none=True)
    closed_dates = Dates()

    @validates_schema
    def both_or_neither(self, data, partial=False, **_):
        if ("lat" in data) != ("lon" in data) and not partial:
            raise ValidationError("give both lat and lon, or neither", "lat")
        if "lat" in data and "lon" in data and (data["lat"] is None) != (data["lon"] is None):
            raise ValidationError("give both lat and lon, or neither", "lat")


class SchoolOutSchema(SchoolSchema):
    # As stored: a scenario (POST /cycles) may name schools by ids other than GIAS URNs.
    urn = fields.Str()
    cluster = fields.Function(lambda s: s.cluster.name if s.cluster else None)
    trust = fields.Function(lambda s: s.trust.name if s.trust else None)
    closed_dates = fields.List(fields.Str())


class ImportQuerySchema(Schema):
    format = fields.Str(
        validate=validate.OneOf(["auto", "gias", "trafford"]),
        load_default="auto",
        metadata={"description": "the file's layout; `auto` tells them apart by header"},
    )


class SchoolFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class SchoolImportResultSchema(Schema):
    created = fields.Int()
    updated = fields.Int()
    skipped = fields.Int(metadata={"description": "rows of other LAs or closed establishments"})
