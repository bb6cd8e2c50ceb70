"""The audit trail: read-only, the caller's own LA, newest first."""

from flask.views import MethodView

from ... import audit
from ...auth import current_user
from ...records import AuditEvent
from ..roles import Blueprint
from ..scope import own
from .schemas import AuditEventSchema, AuditQuerySchema

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="Who did what and when in my LA (LA admins only). Append-only: nothing here changes it.",
    roles=("la_admin",),
)


@blp.route("")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List audit events, newest first (paginated: `page`, `page_size`; `X-Pagination` header)"""
        found = audit.page(
            current_user().la_id,
            action=query.get("action"),
            cycle_id=query.get("cycle_id"),
            number=pagination_parameters.page,
            size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = found["total"]
        return found["events"] if found["page"] == pagination_parameters.page else []


@blp.route("/<int:event_id>")
class AuditEventById(MethodView):
    @blp.response(200, AuditEventSchema)
    def get(self, event_id):
        """Read one audit event"""
        return own(AuditEvent, AuditEvent.id == event_id, what="audit event")
