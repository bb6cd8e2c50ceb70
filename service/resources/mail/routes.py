"""The mails sent to headteachers when a cycle's plan is published (the outbox)."""

from flask.views import MethodView

from ... import notify
from ...auth import current_user
from ...extensions import db
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import MailQuerySchema, MailSchema, RetriedSchema

blp = Blueprint(
    "mail",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/mail",
    description="Mails to headteachers about publications: sent, waiting, failed (LA admins only).",
    roles=("la_admin",),
)


@blp.route("")
class Outbox(MethodView):
    @blp.arguments(MailQuerySchema, location="query")
    @blp.response(200, MailSchema(many=True))
    def get(self, query, cycle_id):
        """The cycle's mails, newest first"""
        return notify.outbox(own_cycle(cycle_id), status=query.get("status"))


@blp.route("/retry")
class Retry(MethodView):
    @blp.response(202, RetriedSchema)
    @blp.alt_response(409, description="No failed mail")
    def post(self, cycle_id):
        """Send the failed mails again"""
        count = notify.retry_failed(own_cycle(cycle_id), actor=current_user())
        db.session.commit()
        return {"retried": count}
