from marshmallow import Schema, fields, validate

from ... import what_ifs
from ..fields import UTCDateTime

CHANGE_DOC = {
    "description": "`{setting, value}` plus, by setting: `cluster` (cluster_budget), `key` (policy: same_cluster, "
    "same_trust, reciprocal, support_conflict, phase_match, max_travel_km, no_repeat_cycles), `school_urn` "
    "(review_team_size), `reviewer` (reviewer_max_reviews), `provider` (provider_capacity)",
    "example": {"setting": "backfill_budget", "value": 45654.0},
}


class WhatIfStartSchema(Schema):
    change = fields.Dict(required=True, metadata=CHANGE_DOC)
    label = fields.Str(validate=validate.Length(min=1, max=300))
    school_urn = fields.Str(metadata={"description": "the unstaffed review it answers, if any"})
    request = fields.Str(metadata={"description": "the unmet support request it answers, if any"})
    base_version = fields.Int(validate=validate.Range(min=1), metadata={"description": "default: the latest"})
    time_limit_s = fields.Float(validate=validate.Range(min=1, max=3600))


class SuggestionQuerySchema(Schema):
    version = fields.Int(validate=validate.Range(min=1), metadata={"description": "default: the latest"})


class SuggestionSchema(Schema):
    label = fields.Str()
    change = fields.Dict(metadata=CHANGE_DOC)


class SuggestionsSchema(Schema):
    version = fields.Int()
    reviews = fields.Dict(keys=fields.Str(), values=fields.List(fields.Nested(SuggestionSchema)))
    requests = fields.Dict(keys=fields.Str(), values=fields.List(fields.Nested(SuggestionSchema)))


class WhatIfSchema(Schema):
    id = fields.Int()
    label = fields.Str()
    change = fields.Dict()
    state = fields.Function(what_ifs.state, metadata={"enum": ["solving", "ready", "failed", "adopted", "discarded"]})
    school_urn = fields.Str(allow_none=True)
    request = fields.Str(attribute="request_id", allow_none=True)
    solve_id = fields.Str(allow_none=True)
    base_version = fields.Function(lambda w: w.base_version.number if w.base_version else None)
    adopted_version = fields.Function(lambda w: w.version.number if w.version else None)
    created_at = UTCDateTime()
    decided_at = UTCDateTime(allow_none=True)
    comparison = fields.Function(
        what_ifs.compare,
        metadata={"description": "the draft beside the version it set out from: figures of each and the diff"},
    )


class AdoptedSchema(Schema):
    what_if = fields.Nested(WhatIfSchema)
    version = fields.Int(metadata={"description": "the new plan version: the what-if's draft"})
