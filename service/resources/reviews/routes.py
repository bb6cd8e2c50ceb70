"""The schools to be reviewed in a cycle."""

from flask.views import MethodView

from ... import reviews
from ...extensions import db
from ...plans import review_for
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import ReviewOutSchema, ReviewSchema

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/reviews",
    description="Reviews of a cycle (LA admins only).",
    roles=("la_admin",),
)


@blp.route("")
class Reviews(MethodView):
    @blp.response(200, ReviewOutSchema(many=True))
    def get(self, cycle_id):
        """List the reviews of a cycle"""
        return reviews.listing(own_cycle(cycle_id))

    @blp.arguments(ReviewSchema)
    @blp.response(201, ReviewOutSchema)
    def post(self, data, cycle_id):
        """Add a school to be reviewed"""
        review = reviews.add_review(own_cycle(cycle_id), data)
        db.session.commit()
        return review


@blp.route("/<urn>")
class ReviewByUrn(MethodView):
    @blp.response(200, ReviewOutSchema)
    def get(self, cycle_id, urn):
        """Read a review"""
        return review_for(own_cycle(cycle_id), urn)

    @blp.arguments(ReviewSchema(partial=True, exclude=("school_urn",)))
    @blp.response(200, ReviewOutSchema)
    def patch(self, data, cycle_id, urn):
        """Change a review"""
        review = reviews.change_review(own_cycle(cycle_id), urn, data)
        db.session.commit()
        return review

    @blp.response(204)
    def delete(self, cycle_id, urn):
        """Stop reviewing a school in this cycle"""
        db.session.delete(review_for(own_cycle(cycle_id), urn))
        db.session.commit()
