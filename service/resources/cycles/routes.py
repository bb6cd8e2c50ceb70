"""Cycles: created from a whole scenario, read back as one."""

from flask import jsonify, request, url_for
from flask.views import MethodView

from ... import cycle_settings, cycles
from ...auth import current_user
from ...extensions import db
from ...models import Cycle
from ...scenario import build_scenario
from ..roles import Blueprint
from ..scope import mine, own_cycle
from .schemas import CreatedSchema, CycleSchema, CycleUpdateSchema

blp = Blueprint(
    "cycles", __name__, url_prefix="/api/v1", description="Review cycles (LA admins only).", roles=("la_admin",)
)

SCENARIO_BODY = {
    "description": "A whole scenario (contract v1): schools and reviewers are upserted by URN / id.",
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Scenario"}}},
}


@blp.route("/cycles")
class Cycles(MethodView):
    @blp.response(200, CycleSchema(many=True))
    def get(self):
        """List the cycles of my local authority"""
        return db.session.scalars(mine(Cycle).order_by(Cycle.id)).all()

    @blp.doc(requestBody=SCENARIO_BODY)
    @blp.response(201, CreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(422, description="The scenario is invalid: every problem, keyed by its JSON path")
    def post(self):
        """Create a cycle from a whole scenario"""
        cycle = cycles.create(current_user().la_id, request.get_json(silent=True))
        db.session.commit()
        return {"id": cycle.id}, 201, {"Location": url_for("cycles.CycleById", cycle_id=cycle.id)}


@blp.route("/cycles/<int:cycle_id>")
class CycleById(MethodView):
    @blp.response(200, CycleSchema)
    def get(self, cycle_id):
        """Read a cycle"""
        return own_cycle(cycle_id)

    @blp.arguments(CycleUpdateSchema)
    @blp.response(200, CycleSchema)
    def patch(self, changes, cycle_id):
        """Change a cycle's settings (checked as a whole scenario)"""
        cycle = cycle_settings.update(own_cycle(cycle_id), changes)
        db.session.commit()
        return cycle

    @blp.response(204)
    def delete(self, cycle_id):
        """Delete a cycle, its reviews, solves and plan versions"""
        cycles.delete(own_cycle(cycle_id))
        db.session.commit()


@blp.route("/cycles/<int:cycle_id>/scenario")
class CycleScenario(MethodView):
    @blp.response(
        200,
        {"$ref": "#/components/schemas/Scenario"},
        description="The cycle as a scenario (v1), with the published plan as `previous`",
    )
    def get(self, cycle_id):
        """The cycle as a scenario (v1)"""
        return jsonify(build_scenario(own_cycle(cycle_id)))
