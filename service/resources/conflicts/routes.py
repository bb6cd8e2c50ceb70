"""Declared conflicts: who must not go where (a headteacher declares for their own reviewers)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from ... import declarations
from ...auth import current_user, not_found, require
from ...extensions import db
from ...models import Conflict, Reviewer
from .schemas import ConflictOutSchema, ConflictSchema

blp = Blueprint(
    "conflicts",
    __name__,
    url_prefix="/api/v1/conflicts",
    description="Conflicts of interest (a headteacher: those of my school's reviewers).",
)


def visible():
    user = current_user()
    query = db.select(Conflict).where(Conflict.la_id == user.la_id)
    if user.role == "headteacher":
        query = query.join(Reviewer, Conflict.reviewer_id == Reviewer.id).where(Reviewer.school_id == user.school_id)
    return query.order_by(Conflict.id)


@blp.route("")
class Conflicts(MethodView):
    @require("la_admin", "headteacher")
    @blp.response(200, ConflictOutSchema(many=True))
    def get(self):
        """List conflicts"""
        return db.session.scalars(visible()).all()

    @require("la_admin", "headteacher")
    @blp.arguments(ConflictSchema)
    @blp.response(201, ConflictOutSchema)
    def post(self, data):
        """Declare a conflict"""
        conflict = declarations.declare(current_user(), data)
        db.session.commit()
        return conflict


@blp.route("/<int:conflict_id>")
class ConflictById(MethodView):
    @require("la_admin", "headteacher")
    @blp.response(200, ConflictOutSchema)
    def get(self, conflict_id):
        """Read a conflict"""
        return self._own(conflict_id)

    @require("la_admin", "headteacher")
    @blp.response(204)
    def delete(self, conflict_id):
        """Withdraw a conflict (a headteacher: one they declared)"""
        conflict = self._own(conflict_id)
        if conflict.reviewer_id is not None:
            declarations.withdraw_conflict(current_user(), conflict.id)
        else:
            db.session.delete(conflict)
        db.session.commit()

    @staticmethod
    def _own(conflict_id):
        conflict = db.session.scalar(visible().where(Conflict.id == conflict_id))
        if conflict is None:
            not_found("conflict")
        return conflict
