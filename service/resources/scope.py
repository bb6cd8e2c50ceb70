"""The API's look-ups scoped to the caller (`service.ownership` on the signed-in user):
anything outside their LA (or school) is a 404."""

from .. import ownership
from ..auth import current_user
from ..models import Conflict, Cycle, Reviewer, School, Solve


def own_cycle(cycle_id: int) -> Cycle:
    return ownership.own(current_user(), Cycle, Cycle.id == cycle_id, what="cycle")


def own_school(urn: str) -> School:
    return ownership.own(current_user(), School, School.urn == urn, what="school")


def own_reviewer(ext_id: str) -> Reviewer:
    """The reviewer `ext_id` of the caller's LA; a headteacher sees only their school's."""
    return ownership.own(current_user(), Reviewer, Reviewer.ext_id == ext_id, what="reviewer")


def own_solve(solve_id: str) -> Solve:
    return ownership.own(current_user(), Solve, Solve.id == solve_id, what="solve")


def own_conflict(conflict_id: int) -> Conflict:
    return ownership.own(current_user(), Conflict, Conflict.id == conflict_id, what="conflict")


def own(model, *where, what: str):
    """The caller's one row of `model` matching `where` (404 "`what` not found" otherwise)."""
    return ownership.own(current_user(), model, *where, what=what)


def mine(model):
    """The caller's rows of `model` (a query to narrow and order)."""
    return ownership.visible(current_user(), model)


def reviewers_query():
    return mine(Reviewer).order_by(Reviewer.ext_id)
