"""The schools to be reviewed in a cycle."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ...auth import require
from ...extensions import db
from ...models import Review, School
from ...plans import review_for
from ...scenario import build_scenario, validate
from ..scope import own_cycle
from .schemas import ReviewOutSchema, ReviewSchema

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/reviews",
    description="Reviews of a cycle (LA admins only).",
)


def apply(review: Review, data: dict) -> None:
    for key, value in data.items():
        setattr(review, key, value)


@blp.route("")
class Reviews(MethodView):
    @require("la_admin")
    @blp.response(200, ReviewOutSchema(many=True))
    def get(self, cycle_id):
        """List the reviews of a cycle"""
        cycle = own_cycle(cycle_id)
        return db.session.scalars(
            db.select(Review).join(Review.school).where(Review.cycle_id == cycle.id).order_by(School.urn)
        ).all()

    @require("la_admin")
    @blp.arguments(ReviewSchema)
    @blp.response(201, ReviewOutSchema)
    def post(self, data, cycle_id):
        """Add a school to be reviewed"""
        cycle = own_cycle(cycle_id)
        urn = data.pop("school_urn")
        school = db.session.scalar(db.select(School).where(School.la_id == cycle.la_id, School.urn == urn))
        if school is None:
            abort(422, message="unknown school", errors={"school_urn": [f"unknown school '{urn}'"]})
        if db.session.scalar(db.select(Review).where(Review.cycle_id == cycle.id, Review.school_id == school.id)):
            abort(
                409,
                message=f"school {urn} is already reviewed in this cycle",
                errors={"school_urn": ["already reviewed in this cycle"]},
            )
        review = Review(cycle_id=cycle.id, school=school, focus=[])
        db.session.add(review)
        apply(review, data)
        db.session.flush()
        validate(build_scenario(cycle))
        db.session.commit()
        return review


@blp.route("/<urn>")
class ReviewByUrn(MethodView):
    @require("la_admin")
    @blp.response(200, ReviewOutSchema)
    def get(self, cycle_id, urn):
        """Read a review"""
        return review_for(own_cycle(cycle_id), urn)

    @require("la_admin")
    @blp.arguments(ReviewSchema(partial=True, exclude=("school_urn",)))
    @blp.response(200, ReviewOutSchema)
    def patch(self, data, cycle_id, urn):
        """Change a review"""
        cycle = own_cycle(cycle_id)
        review = review_for(cycle, urn)
        apply(review, data)
        db.session.flush()
        validate(build_scenario(cycle))
        db.session.commit()
        return review

    @require("la_admin")
    @blp.response(204)
    def delete(self, cycle_id, urn):
        """Stop reviewing a school in this cycle"""
        db.session.delete(review_for(own_cycle(cycle_id), urn))
        db.session.commit()
