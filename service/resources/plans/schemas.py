from marshmallow import Schema, fields, validate

from ..fields import UTCDateTime


class VersionQuerySchema(Schema):
    version = fields.Int(validate=validate.Range(min=1), metadata={"description": "default: the latest"})


class PublishSchema(Schema):
    version = fields.Int(required=True, validate=validate.Range(min=1))


class DiffQuerySchema(Schema):
    from_ = fields.Int(
        data_key="from", validate=validate.Range(min=1), metadata={"description": "default: the published version"}
    )
    to = fields.Int(validate=validate.Range(min=1), metadata={"description": "default: the latest"})


def _proposed(version) -> bool:
    published = version.cycle.published_version
    return version.source == "nightly" and (published is None or version.number > published.number)


class PlanVersionSchema(Schema):
    number = fields.Int()
    source = fields.Str()
    note = fields.Str(allow_none=True)
    solve_id = fields.Str(allow_none=True)
    created_at = UTCDateTime()
    published = fields.Function(lambda v: v.cycle.published_version_id == v.id)
    status = fields.Function(lambda v: v.plan.get("status"))
    objective = fields.Function(lambda v: v.plan.get("objective"))
    staffed = fields.Function(lambda v: len(v.plan.get("reviews", [])))
    unstaffed = fields.Function(lambda v: len(v.plan.get("unstaffed", [])))
    proposed = fields.Function(
        _proposed, metadata={"description": "a nightly re-optimisation's proposal, newer than the published version"}
    )
    diff = fields.Raw(
        allow_none=True,
        metadata={
            "description": "nightly versions: every change against the plan published that night, with its causes"
        },
    )


class PublishedSchema(Schema):
    cycle_id = fields.Int()
    published_version = fields.Int()
    mails = fields.Dict(
        metadata={
            "description": "the headteachers told: affected `schools`, `mails` queued, and the affected "
            "schools `without_account` (no headteacher to tell)"
        }
    )


class TeamMemberSchema(Schema):
    reviewer = fields.Str(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(["lead", "member"]))


class VisitEditSchema(Schema):
    date = fields.Date(required=True)
    team = fields.List(fields.Nested(TeamMemberSchema), required=True, validate=validate.Length(min=1))
    base_version = fields.Int(
        validate=validate.Range(min=1), metadata={"description": "version to edit (default: the latest)"}
    )
    note = fields.Str()


class LockSchema(Schema):
    school_urn = fields.Str()
    locked = fields.Bool()
