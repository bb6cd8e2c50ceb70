from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import UTCDateTime


class ConflictSchema(Schema):
    """A reviewer who must not review a school, or a provider who must not support it."""

    id = fields.Int(dump_only=True)
    reviewer = fields.Str(metadata={"description": "reviewer id (give this or `provider`)"})
    provider = fields.Str(metadata={"description": "support provider id, with `cycle_id`"})
    cycle_id = fields.Int(metadata={"description": "the cycle of `provider`"})
    school_urn = fields.Str(required=True)
    reason = fields.Str(allow_none=True, validate=validate.Length(max=300))

    @validates_schema
    def one_party(self, data, **_):
        if bool(data.get("reviewer")) == bool(data.get("provider")):
            raise ValidationError("give exactly one of reviewer or provider", "reviewer")
        if data.get("provider") and not data.get("cycle_id"):
            raise ValidationError("a provider conflict needs the provider's cycle", "cycle_id")


class ConflictOutSchema(Schema):
    id = fields.Int()
    reviewer = fields.Function(lambda c: c.reviewer.ext_id if c.reviewer else None)
    provider = fields.Function(lambda c: c.provider.ext_id if c.provider else None)
    cycle_id = fields.Function(lambda c: c.provider.cycle_id if c.provider else None)
    school_urn = fields.Function(lambda c: c.school.urn)
    reason = fields.Str(allow_none=True)
    created_at = UTCDateTime()
