from marshmallow import Schema, fields, validate

from ...records import MAIL_STATES
from ..fields import UTCDateTime


class MailQuerySchema(Schema):
    status = fields.Str(validate=validate.OneOf(MAIL_STATES))


class MailSchema(Schema):
    id = fields.Int()
    to = fields.Str(attribute="to_address")
    school_urn = fields.Str()
    plan_version = fields.Function(lambda m: m.plan_version.number if m.plan_version else None)
    subject = fields.Str()
    status = fields.Str(metadata={"enum": list(MAIL_STATES)})
    attempts = fields.Int()
    max_attempts = fields.Int()
    next_attempt_at = UTCDateTime(allow_none=True)
    last_error = fields.Str(allow_none=True)
    backend = fields.Str(allow_none=True)
    created_at = UTCDateTime()
    sent_at = UTCDateTime(allow_none=True)


class RetriedSchema(Schema):
    retried = fields.Int()
