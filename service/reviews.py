"""The schools reviewed in a cycle: added and changed by the API, each change checked by the
contract (the cycle must still be a valid scenario; InvalidInput otherwise, the caller rolls back)."""

from __future__ import annotations

from .errors import Conflict as ConflictError
from .errors import InvalidInput
from .extensions import db
from .models import Cycle, Review, School
from .plans import review_for
from .scenario import build_scenario, validate


def listing(cycle: Cycle) -> list[Review]:
    """The cycle's reviews, by school URN."""
    query = db.select(Review).join(Review.school).where(Review.cycle_id == cycle.id).order_by(School.urn)
    return list(db.session.scalars(query))


def apply(review: Review, data: dict) -> None:
    for key, value in data.items():
        setattr(review, key, value)


def add_review(cycle: Cycle, data: dict) -> Review:
    """Review the LA's school `data["school_urn"]` in `cycle` (unknown school: 422; already reviewed: 409)."""
    urn = data.pop("school_urn")
    school = db.session.scalar(db.select(School).where(School.la_id == cycle.la_id, School.urn == urn))
    if school is None:
        raise InvalidInput("unknown school", {"school_urn": [f"unknown school '{urn}'"]})
    if db.session.scalar(db.select(Review).where(Review.cycle_id == cycle.id, Review.school_id == school.id)):
        raise ConflictError(
            f"school {urn} is already reviewed in this cycle", {"school_urn": ["already reviewed in this cycle"]}
        )
    review = Review(cycle_id=cycle.id, school=school, focus=[])
    db.session.add(review)
    apply(review, data)
    db.session.flush()
    validate(build_scenario(cycle))
    return review


def change_review(cycle: Cycle, urn: str, data: dict) -> Review:
    review = review_for(cycle, urn)
    apply(review, data)
    db.session.flush()
    validate(build_scenario(cycle))
    return review
