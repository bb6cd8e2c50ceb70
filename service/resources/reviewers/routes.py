"""Reviewers: the LA's pool; a headteacher sees and declares for their own school's."""

from flask.views import MethodView

from ... import pool, pool_import
from ...auth import current_user
from ...extensions import db
from ..roles import Blueprint, roles
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
    roles=("la_admin",),
)


@blp.route("")
class Reviewers(MethodView):
    @roles("la_admin", "headteacher")
    @blp.response(200, ReviewerOutSchema(many=True))
    def get(self):
        """List reviewers"""
        return db.session.scalars(reviewers_query()).all()

    @blp.arguments(ReviewerSchema)
    @blp.response(201, ReviewerOutSchema)
    @blp.alt_response(409, description="A reviewer with that id exists")
    def post(self, data):
        """Add a reviewer"""
        reviewer = pool.add_reviewer(current_user().la_id, data)
        db.session.commit()
        return reviewer


@blp.route("/<reviewer_id>")
class ReviewerById(MethodView):
    @roles("la_admin", "headteacher")
    @blp.response(200, ReviewerOutSchema)
    def get(self, reviewer_id):
        """Read a reviewer"""
        return own_reviewer(reviewer_id)

    @blp.arguments(ReviewerSchema(partial=True, exclude=("id",)))
    @blp.response(200, ReviewerOutSchema)
    def patch(self, data, reviewer_id):
        """Change a reviewer"""
        reviewer = own_reviewer(reviewer_id)
        pool.update_reviewer(reviewer, data)
        db.session.commit()
        return reviewer

    @blp.response(204)
    def delete(self, reviewer_id):
        """Remove a reviewer"""
        db.session.delete(own_reviewer(reviewer_id))
        db.session.commit()


@blp.route("/<reviewer_id>/unavailable")
class Unavailable(MethodView):
    @roles("la_admin", "headteacher")
    @blp.arguments(UnavailableSchema)
    @blp.response(200, ReviewerOutSchema)
    def put(self, data, reviewer_id):
        """Declare the dates a reviewer is away"""
        reviewer = own_reviewer(reviewer_id)
        pool.update_reviewer(reviewer, {"unavailable": data["dates"]})
        db.session.commit()
        return reviewer


@blp.route("/import")
class ReviewerImport(MethodView):
    @blp.arguments(ReviewerFileSchema, location="files")
    @blp.response(200, ReviewerImportResultSchema)
    @blp.alt_response(422, description="Every bad row and column; nothing was imported")
    def post(self, files):
        """Import reviewers from CSV (upserted by id)"""
        result = pool_import.import_at_once(current_user().la_id, "reviewers", files["file"].read())
        db.session.commit()
        return result
