"""Changes to a plan by hand: swap a reviewer, move or remove a visit; pinned visits."""

from flask.views import MethodView

from ... import hand_changes, plans
from ...auth import current_user
from ...extensions import db
from ...pins import pins
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import HandChangeResultSchema, HandChangeSchema, PinSchema

blp = Blueprint(
    "hand_changes",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/hand-changes",
    description="Changing a plan by hand, checked by the solver's own checker (LA admins only).",
    roles=("la_admin",),
)


@blp.route("")
class HandChanges(MethodView):
    @blp.arguments(HandChangeSchema)
    @blp.response(201, HandChangeResultSchema)
    @blp.alt_response(
        422,
        description="The change breaks a rule: `problems` (Problem) names each rule, the people and the date; "
        "nothing is stored",
    )
    def post(self, body, cycle_id):
        """Swap a reviewer, move a visit or remove it: a new version, made by hand, its visit pinned"""
        cycle = own_cycle(cycle_id)
        base = plans.get_version(cycle, body.pop("base_version")) if body.get("base_version") else None
        note = body.pop("note", None)
        version, problems = hand_changes.apply(cycle, body, base=base, actor=current_user(), note=note)
        pinned = any(p.plan_version_id == version.id for p in pins(cycle))
        db.session.commit()
        return {"version": version, "pinned": pinned, "problems_elsewhere": problems}


@blp.route("/pins")
class Pins(MethodView):
    @blp.response(200, PinSchema(many=True))
    def get(self, cycle_id):
        """Visits set by hand that later solves keep as they are"""
        return pins(own_cycle(cycle_id))


@blp.route("/pins/<urn>")
class Pin(MethodView):
    @blp.response(204)
    def delete(self, cycle_id, urn):
        """Release a visit set by hand: later solves may move it again"""
        hand_changes.release(own_cycle(cycle_id), urn)
        db.session.commit()
