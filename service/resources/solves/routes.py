"""Solves: start one for a cycle, watch it, cancel it."""

from flask import current_app, url_for
from flask.views import MethodView

from ... import solves
from ...auth import current_user
from ...solves import cancel_solve, reap_if_dead, start_solve
from ..roles import Blueprint
from ..scope import own_cycle, own_solve
from .schemas import SolveSchema, StartSolveSchema

blp = Blueprint(
    "solves", __name__, url_prefix="/api/v1", description="Solver runs (LA admins only).", roles=("la_admin",)
)


@blp.route("/cycles/<int:cycle_id>/solves")
class CycleSolves(MethodView):
    @blp.response(200, SolveSchema(many=True))
    def get(self, cycle_id):
        """List a cycle's solves, newest first"""
        return solves.listing(own_cycle(cycle_id))

    @blp.arguments(StartSolveSchema, required=False)
    @blp.response(202, SolveSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="A solve is already queued or running; `solve_id` names it")
    def post(self, body, cycle_id):
        """Start a solve (one per cycle at a time)"""
        cycle = own_cycle(cycle_id)
        limit = (body or {}).get("time_limit_s") or current_app.config["SOLVE_DEFAULT_TIME_LIMIT_S"]
        solve = start_solve(cycle, time_limit_s=limit, user=current_user())
        return solve, 202, {"Location": url_for("solves.SolveById", solve_id=solve.id)}


@blp.route("/solves/<solve_id>")
class SolveById(MethodView):
    @blp.response(200, SolveSchema)
    def get(self, solve_id):
        """State and progress of a solve"""
        solve = own_solve(solve_id)
        reap_if_dead(solve)
        return solve

    @blp.response(202, SolveSchema)
    @blp.alt_response(409, description="The solve has already ended")
    def delete(self, solve_id):
        """Cancel a solve; a running one stops and keeps its best plan so far"""
        return cancel_solve(own_solve(solve_id))
