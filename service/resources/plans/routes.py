"""Plans: versions, publishing, diffs, exports, locks and edits by hand."""

from flask import Response, jsonify, request
from flask.views import MethodView

from ... import hand_changes, plans, publication
from ...exports import calendar, plan_csv
from ...extensions import db
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import (
    DiffQuerySchema,
    LockSchema,
    PlanVersionSchema,
    PublishedSchema,
    PublishSchema,
    VersionQuerySchema,
    VisitEditSchema,
)

blp = Blueprint(
    "plans",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>",
    description="Plans of a cycle (LA admins only).",
    roles=("la_admin",),
)

PLAN = {"$ref": "#/components/schemas/Plan"}


@blp.route("/plan")
class Plan(MethodView):
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, PLAN, description="A plan (v1)", headers={"X-Plan-Version": {"schema": {"type": "integer"}}})
    def get(self, query, cycle_id):
        """The latest plan, or version N"""
        version = plans.get_version(own_cycle(cycle_id), query.get("version"))
        response = jsonify(version.plan)
        response.headers["X-Plan-Version"] = str(version.number)
        return response


@blp.route("/plan/versions")
class PlanVersions(MethodView):
    @blp.response(200, PlanVersionSchema(many=True))
    def get(self, cycle_id):
        """List plan versions"""
        return plans.versions(own_cycle(cycle_id))

    @blp.doc(
        requestBody={
            "required": True,
            "description": "A plan (v1), e.g. from `python -m solver solve`",
            "content": {"application/json": {"schema": PLAN}},
        }
    )
    @blp.response(201, PlanVersionSchema)
    @blp.alt_response(422, description="The plan breaks rules of this cycle; every one is listed")
    def post(self, cycle_id):
        """Add a plan solved elsewhere as a new version (checked against every hard rule)"""
        version = plans.upload_version(own_cycle(cycle_id), request.get_json(silent=True))
        db.session.commit()
        return version


@blp.route("/plan/publish")
class Publish(MethodView):
    @blp.arguments(PublishSchema)
    @blp.response(200, PublishedSchema)
    def post(self, body, cycle_id):
        """Publish a plan version"""
        cycle = own_cycle(cycle_id)
        version = plans.get_version(cycle, body["version"])
        mails = publication.publish(cycle, version)
        db.session.commit()
        return {"cycle_id": cycle.id, "published_version": version.number, "mails": mails}


@blp.route("/plan/diff")
class Diff(MethodView):
    @blp.arguments(DiffQuerySchema, location="query")
    @blp.response(200, description="Visit-by-visit changes between two versions")
    def get(self, query, cycle_id):
        """Changes between two plan versions (default: published → latest)"""
        cycle = own_cycle(cycle_id)
        to = plans.get_version(cycle, query.get("to"))
        if query.get("from_") is not None:
            before = plans.get_version(cycle, query["from_"])
        else:
            before = cycle.published_version
        result = plans.diff(before.plan if before else None, to.plan)
        return {"from": before.number if before else None, "to": to.number} | result


@blp.route("/plan.csv")
class PlanCsv(MethodView):
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="One row per reviewer on a visit")
    def get(self, query, cycle_id):
        """The plan as CSV"""
        cycle = own_cycle(cycle_id)
        version = plans.get_version(cycle, query.get("version"))
        return Response(
            plan_csv(cycle, version.plan),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="cycle-{cycle.id}-plan-v{version.number}.csv"'},
        )


@blp.route("/plan.ics")
class PlanIcs(MethodView):
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, content_type="text/calendar", description="One all-day event per visit")
    def get(self, query, cycle_id):
        """The plan as iCalendar"""
        cycle = own_cycle(cycle_id)
        version = plans.get_version(cycle, query.get("version"))
        body = calendar(
            version.plan.get("reviews", []),
            name=cycle.name,
            cycle_of=lambda _: cycle,
            version_of=lambda _: version.number,
        )
        return Response(body, mimetype="text/calendar")


@blp.route("/plan/visits/<urn>")
class Visit(MethodView):
    @blp.arguments(VisitEditSchema)
    @blp.response(201, PlanVersionSchema)
    @blp.alt_response(422, description="The edit breaks a hard rule; the message names it")
    def put(self, body, cycle_id, urn):
        """Set a visit's date and team by hand (makes a new, unpublished version)"""
        cycle = own_cycle(cycle_id)
        base = plans.get_version(cycle, body.get("base_version")) if body.get("base_version") else None
        change = {"action": "set", "school_urn": urn, "date": body["date"], "team": body["team"]}
        version, _ = hand_changes.apply(cycle, change, base=base, note=body.get("note"))
        db.session.commit()
        return version

    @blp.response(201, PlanVersionSchema)
    def delete(self, cycle_id, urn):
        """Leave a school unstaffed (makes a new, unpublished version)"""
        version, _ = hand_changes.apply(own_cycle(cycle_id), {"action": "remove", "school_urn": urn})
        db.session.commit()
        return version


@blp.route("/plan/visits/<urn>/lock")
class Lock(MethodView):
    @blp.response(200, LockSchema)
    @blp.alt_response(409, description="No published visit to that school")
    def post(self, cycle_id, urn):
        """Lock a published visit: every re-optimisation keeps it as it is"""
        review = plans.set_lock(own_cycle(cycle_id), urn, True)
        db.session.commit()
        return {"school_urn": urn, "locked": review.locked}

    @blp.response(200, LockSchema)
    def delete(self, cycle_id, urn):
        """Unlock a visit"""
        review = plans.set_lock(own_cycle(cycle_id), urn, False)
        db.session.commit()
        return {"school_urn": urn, "locked": review.locked}
