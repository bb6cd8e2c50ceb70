"""The caller's own view: who they are and, for a headteacher, their visits.

The visits answer conditional requests: the ETag comes from the LA's published-visit index
before any visit is read, and a client (or calendar app) holding the current copy gets a 304.
"""

from flask import current_app, g
from flask.views import MethodView

from ... import tokens, visits
from ...auth import current_user
from ...conditional import IF_NONE_MATCH, respond
from ...extensions import db
from ..roles import Blueprint, roles
from .schemas import MeSchema, MyVisitSchema

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The caller's own data.", roles=("headteacher",))

NOT_MODIFIED = "Not Modified: the copy named by If-None-Match is still current (no body)"
CACHING = {
    "ETag": {"description": "Names this answer; send it back as If-None-Match", "schema": {"type": "string"}},
    "Cache-Control": {"description": "private, no-cache: keep it, but revalidate", "schema": {"type": "string"}},
}


@blp.route("")
class Me(MethodView):
    @roles()
    @blp.response(200, MeSchema)
    def get(self):
        """Who am I"""
        return current_user()


@blp.route("/token")
class MyToken(MethodView):
    @roles()
    @blp.response(204)
    def delete(self):
        """Revoke the token of this request (it answers 401 from now on)"""
        tokens.revoke(current_user(), g.token_id)
        db.session.commit()


def _json(data) -> bytes:
    # As flask-smorest's @response would send it (schema dump, then Flask's JSON response).
    return current_app.json.response(MyVisitSchema(many=True).dump(data)).get_data()


@blp.route("/visits")
class MyVisits(MethodView):
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, MyVisitSchema(many=True), headers=CACHING)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self):
        """Visits to my school and by my school's reviewers (published plans only)"""
        user = current_user()
        return respond(
            visits.etag(user, "json"),
            lambda: _json(visits.visits_for_school(user)),
            "application/json",
            vary="Authorization",
        )


@blp.route("/visits.ics")
class MyVisitsIcs(MethodView):
    @blp.doc(parameters=[IF_NONE_MATCH])
    @blp.response(200, content_type="text/calendar", description="One all-day event per visit", headers=CACHING)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self):
        """My visits as iCalendar"""
        user = current_user()
        return respond(
            visits.etag(user, "ics"),
            lambda: visits.calendar_for(user),
            "text/calendar",
            weak=True,
            vary="Authorization",
        )
