from marshmallow import Schema, fields, validate

from ...audit import ACTIONS
from ..fields import UTCDateTime


class AuditQuerySchema(Schema):
    action = fields.Str(
        validate=validate.OneOf(sorted(ACTIONS) + sorted({a.split(".")[0] for a in ACTIONS})),
        metadata={"description": "one action (`plan.published`), or every action of a kind (`plan`)"},
    )
    cycle_id = fields.Int(validate=validate.Range(min=1))


class AuditEventSchema(Schema):
    id = fields.Int()
    created_at = UTCDateTime()
    actor = fields.Str(metadata={"description": "the user's e-mail then, or `system` (the nightly run)"})
    actor_id = fields.Int(allow_none=True)
    action = fields.Str(metadata={"enum": sorted(ACTIONS)})
    object_type = fields.Str()
    object_id = fields.Str(allow_none=True)
    cycle_id = fields.Int(allow_none=True)
    summary = fields.Str()
    details = fields.Dict()
