"""The caller's own view: who they are and, for a headteacher, their visits."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ...auth import current_user, require
from ...exports import calendar
from ...visits import visits_for_school
from .schemas import MeSchema, MyVisitSchema

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The caller's own data.")


@blp.route("")
class Me(MethodView):
    @require()
    @blp.response(200, MeSchema)
    def get(self):
        """Who am I"""
        return current_user()


@blp.route("/visits")
class MyVisits(MethodView):
    @require("headteacher")
    @blp.response(200, MyVisitSchema(many=True))
    def get(self):
        """Visits to my school and by my school's reviewers (published plans only)"""
        return visits_for_school(current_user())


@blp.route("/visits.ics")
class MyVisitsIcs(MethodView):
    @require("headteacher")
    @blp.response(200, content_type="text/calendar", description="One all-day event per visit")
    def get(self):
        """My visits as iCalendar"""
        user = current_user()
        visits = visits_for_school(user)
        body = calendar(visits, name=f"Peer review: {user.school.name or user.school.urn}",
                        cycle_of=lambda v: v["_cycle"], version_of=lambda v: v["_version"].number)
        return Response(body, mimetype="text/calendar")
