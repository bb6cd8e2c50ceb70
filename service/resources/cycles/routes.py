"""Cycles: created from a whole scenario, read back as one."""

from flask import jsonify, request, url_for
from flask.views import MethodView

from ... import audit, cycle_settings
from ...auth import current_user
from ...errors import Conflict as ConflictError
from ...errors import InvalidInput
from ...extensions import db
from ...models import Cycle, LocalAuthority
from ...scenario import build_scenario
from ...scenario_import import create_cycle
from ...solves import active_solve
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
        data = request.get_json(silent=True)
        if data is None:
            raise InvalidInput("the body must be JSON", {"_schema": ["expected a JSON scenario object"]})
        la = db.session.get(LocalAuthority, current_user().la_id)
        cycle = create_cycle(la, data)
        audit.cycle_event("cycle.created", cycle, f"created cycle {cycle.name}")
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
        cycle = own_cycle(cycle_id)
        active = active_solve(cycle)
        if active:
            raise ConflictError("cancel the cycle's running solve first", {"solve_id": [active.id]}, solve_id=active.id)
        audit.cycle_event("cycle.deleted", cycle, f"deleted cycle {cycle.name}")
        cycle.published_version_id = None
        db.session.flush()
        db.session.delete(cycle)
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
