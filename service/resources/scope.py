"""Look-ups scoped to the caller: anything outside their LA (or school) is a 404."""

from ..auth import current_user, not_found
from ..extensions import db
from ..models import Cycle, Reviewer, School


def own_cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None or cycle.la_id != current_user().la_id:
        not_found("cycle")
    return cycle


def own_school(urn: str) -> School:
    school = db.session.scalar(db.select(School).where(School.la_id == current_user().la_id, School.urn == urn))
    if school is None:
        not_found("school")
    return school


def own_reviewer(ext_id: str) -> Reviewer:
    """The reviewer `ext_id` of the caller's LA; a headteacher sees only their school's."""
    user = current_user()
    reviewer = db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == user.la_id, Reviewer.ext_id == ext_id))
    if reviewer is None or (user.role == "headteacher" and reviewer.school_id != user.school_id):
        not_found("reviewer")
    return reviewer


def reviewers_query():
    user = current_user()
    query = db.select(Reviewer).where(Reviewer.la_id == user.la_id)
    if user.role == "headteacher":
        query = query.where(Reviewer.school_id == user.school_id)
    return query.order_by(Reviewer.ext_id)
