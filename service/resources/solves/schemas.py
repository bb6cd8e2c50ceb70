from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates

from ...models import SolveStatus
from ..fields import UTCDateTime


class StartSolveSchema(Schema):
    time_limit_s = fields.Float(
        validate=validate.Range(min=0.1, min_inclusive=True),
        metadata={"description": "seconds the solver may run (default: the service's, 30)"},
    )

    @validates("time_limit_s")
    def not_too_long(self, value, **_):
        limit = current_app.config["SOLVE_MAX_TIME_LIMIT_S"]
        if value > limit:
            raise ValidationError(f"must be at most {limit:g} seconds")


class ProgressSchema(Schema):
    objective = fields.Float(allow_none=True)
    bound = fields.Float(allow_none=True)
    elapsed_s = fields.Float(allow_none=True)


class SolveSchema(Schema):
    id = fields.Str()
    cycle_id = fields.Int()
    status = fields.Str(metadata={"enum": [s.value for s in SolveStatus]})
    kind = fields.Str()
    time_limit_s = fields.Float()
    cancel_requested = fields.Bool()
    progress = fields.Function(
        lambda s: (
            None
            if s.status == SolveStatus.QUEUED and s.elapsed_s is None
            else {"objective": s.objective, "bound": s.bound, "elapsed_s": s.elapsed_s}
        ),
    )
    plan_version = fields.Function(lambda s: s.plan_version.number if s.plan_version else None)
    error = fields.Str(allow_none=True)
    created_at = UTCDateTime()
    started_at = UTCDateTime(allow_none=True)
    finished_at = UTCDateTime(allow_none=True)
