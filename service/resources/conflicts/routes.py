"""Declared conflicts: who must not go where (a headteacher declares for their own reviewers)."""

from flask.views import MethodView

from ... import declarations
from ...auth import current_user
from ...extensions import db
from ...models import Conflict
from ..roles import Blueprint
from ..scope import mine, own_conflict
from .schemas import ConflictOutSchema, ConflictSchema

blp = Blueprint(
    "conflicts",
    __name__,
    url_prefix="/api/v1/conflicts",
    description="Conflicts of interest (a headteacher: those of my school's reviewers).",
    roles=("la_admin", "headteacher"),
)


@blp.route("")
class Conflicts(MethodView):
    @blp.response(200, ConflictOutSchema(many=True))
    def get(self):
        """List conflicts"""
        return db.session.scalars(mine(Conflict).order_by(Conflict.id)).all()

    @blp.arguments(ConflictSchema)
    @blp.response(201, ConflictOutSchema)
    def post(self, data):
        """Declare a conflict"""
        conflict = declarations.declare(current_user(), data)
        db.session.commit()
        return conflict


@blp.route("/<int:conflict_id>")
class ConflictById(MethodView):
    @blp.response(200, ConflictOutSchema)
    def get(self, conflict_id):
        """Read a conflict"""
        return own_conflict(conflict_id)

    @blp.response(204)
    def delete(self, conflict_id):
        """Withdraw a conflict (a headteacher: one they declared)"""
        declarations.withdraw(current_user(), own_conflict(conflict_id))
        db.session.commit()
