"""What-ifs: a setting change solved on a copy of the cycle, then adopted or discarded."""

from flask import url_for
from flask.views import MethodView

from ... import plans, what_ifs
from ...auth import current_user
from ...extensions import db
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import AdoptedSchema, SuggestionQuerySchema, SuggestionsSchema, WhatIfSchema, WhatIfStartSchema

blp = Blueprint(
    "what_ifs",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/what-ifs",
    description="What-ifs for unstaffed reviews and unmet support (LA admins only).",
    roles=("la_admin",),
)


@blp.route("/suggestions")
class Suggestions(MethodView):
    @blp.arguments(SuggestionQuerySchema, location="query")
    @blp.response(200, SuggestionsSchema)
    def get(self, query, cycle_id):
        """What each unstaffed review's and unmet request's reason suggests trying"""
        cycle = own_cycle(cycle_id)
        version = plans.get_version(cycle, query.get("version"))
        return {"version": version.number} | what_ifs.suggest(cycle, version)


@blp.route("")
class WhatIfs(MethodView):
    @blp.response(200, WhatIfSchema(many=True))
    def get(self, cycle_id):
        """The cycle's what-ifs, newest first"""
        return what_ifs.listing(own_cycle(cycle_id))

    @blp.arguments(WhatIfStartSchema)
    @blp.response(202, WhatIfSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="A solve of this cycle is queued or running")
    def post(self, body, cycle_id):
        """Try a change: solve a copy of the cycle with it (the cycle itself is not changed)"""
        cycle = own_cycle(cycle_id)
        base = plans.get_version(cycle, body["base_version"]) if body.get("base_version") else None
        what_if = what_ifs.start(
            cycle,
            body["change"],
            base=base,
            label=body.get("label"),
            school_urn=body.get("school_urn"),
            request_id=body.get("request"),
            time_limit_s=body.get("time_limit_s"),
            actor=current_user(),
        )
        location = url_for("what_ifs.WhatIfById", cycle_id=cycle.id, what_if_id=what_if.id)
        return what_if, 202, {"Location": location}


@blp.route("/<int:what_if_id>")
class WhatIfById(MethodView):
    @blp.response(200, WhatIfSchema)
    def get(self, cycle_id, what_if_id):
        """A what-if, its state and (once solved) its draft beside the version it set out from"""
        return what_ifs.get(own_cycle(cycle_id), what_if_id)


@blp.route("/<int:what_if_id>/adopt")
class Adopt(MethodView):
    @blp.response(201, AdoptedSchema)
    @blp.alt_response(409, description="Not finished, already decided, or the cycle changed since it was solved")
    def post(self, cycle_id, what_if_id):
        """Adopt: change the cycle's settings and keep the draft as a new version"""
        what_if = what_ifs.get(own_cycle(cycle_id), what_if_id)
        version = what_ifs.adopt(what_if, actor=current_user())
        db.session.commit()
        return {"what_if": what_if, "version": version.number}


@blp.route("/<int:what_if_id>/discard")
class Discard(MethodView):
    @blp.response(200, WhatIfSchema)
    @blp.alt_response(409, description="Already adopted or discarded")
    def post(self, cycle_id, what_if_id):
        """Discard: nothing about the cycle changes"""
        what_if = what_ifs.get(own_cycle(cycle_id), what_if_id)
        what_ifs.discard(what_if, actor=current_user())
        db.session.commit()
        return what_if
