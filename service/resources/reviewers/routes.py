"""Reviewers: the LA's pool; a headteacher sees and declares for their own school's."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ... import audit
from ...auth import current_user, require
from ...extensions import db
from ...imports import import_reviewers
from ...models import LocalAuthority, Reviewer
from ...pool import update_reviewer
from ..scope import own_reviewer, reviewers_query
from .schemas import (
    ReviewerFileSchema,
    ReviewerImportResultSchema,
    ReviewerOutSchema,
    ReviewerSchema,
    UnavailableSchema,
)

blp = Blueprint(
    "reviewers",
    __name__,
    url_prefix="/api/v1/reviewers",
    description="Reviewers of my LA (a headteacher: my school's reviewers).",
)


def apply(reviewer: Reviewer, data: dict) -> None:
    update_reviewer(reviewer, data)


@blp.route("")
class Reviewers(MethodView):
    @require("la_admin", "headteacher")
    @blp.response(200, ReviewerOutSchema(many=True))
    def get(self):
        """List reviewers"""
        return db.session.scalars(reviewers_query()).all()

    @require("la_admin")
    @blp.arguments(ReviewerSchema)
    @blp.response(201, ReviewerOutSchema)
    @blp.alt_response(409, description="A reviewer with that id exists")
    def post(self, data):
        """Add a reviewer"""
        la_id = current_user().la_id
        ext_id = data.pop("id")
        if db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == la_id, Reviewer.ext_id == ext_id)):
            abort(409, message=f"reviewer {ext_id} exists", errors={"id": ["already exists"]})
        reviewer = Reviewer(la_id=la_id, ext_id=ext_id, specialisms=[], unavailable=[])
        db.session.add(reviewer)
        apply(reviewer, data)
        db.session.commit()
        return reviewer


@blp.route("/<reviewer_id>")
class ReviewerById(MethodView):
    @require("la_admin", "headteacher")
    @blp.response(200, ReviewerOutSchema)
    def get(self, reviewer_id):
        """Read a reviewer"""
        return own_reviewer(reviewer_id)

    @require("la_admin")
    @blp.arguments(ReviewerSchema(partial=True, exclude=("id",)))
    @blp.response(200, ReviewerOutSchema)
    def patch(self, data, reviewer_id):
        """Change a reviewer"""
        reviewer = own_reviewer(reviewer_id)
        apply(reviewer, data)
        db.session.commit()
        return reviewer

    @require("la_admin")
    @blp.response(204)
    def delete(self, reviewer_id):
        """Remove a reviewer"""
        db.session.delete(own_reviewer(reviewer_id))
        db.session.commit()


@blp.route("/<reviewer_id>/unavailable")
class Unavailable(MethodView):
    @require("la_admin", "headteacher")
    @blp.arguments(UnavailableSchema)
    @blp.response(200, ReviewerOutSchema)
    def put(self, data, reviewer_id):
        """Declare the dates a reviewer is away"""
        reviewer = own_reviewer(reviewer_id)
        reviewer.unavailable = sorted({d.isoformat() for d in data["dates"]})
        db.session.commit()
        return reviewer


@blp.route("/import")
class ReviewerImport(MethodView):
    @require("la_admin")
    @blp.arguments(ReviewerFileSchema, location="files")
    @blp.response(200, ReviewerImportResultSchema)
    @blp.alt_response(422, description="Every bad row and column; nothing was imported")
    def post(self, files):
        """Import reviewers from CSV (upserted by id)"""
        la = db.session.get(LocalAuthority, current_user().la_id)
        result = import_reviewers(la, files["file"].read())
        audit.record("pool.reviewers_imported", f"imported reviewers ({result})", la_id=la.id, details=result)
        db.session.commit()
        return result
