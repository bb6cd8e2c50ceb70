"""What a user may reach: the one query helper behind every "is this yours?".

A row of another LA (or, for a headteacher, another school's reviewer or that reviewer's
conflicts) is answered as if it did not exist: `own` raises NotFound, never "exists, but not
for you". The API (`resources/scope.py`), the pages and the domain modules all ask here.
"""

from __future__ import annotations

from sqlalchemy import Select

from .errors import NotFound
from .extensions import db
from .models import Conflict, Cycle, Reviewer, User


def visible(user: User, model) -> Select:
    """The rows of `model` the user may see: their LA's (a row of a cycle: of their LA's cycles);
    a headteacher's reviewers, and those reviewers' conflicts, only their own school's."""
    query = db.select(model)
    if hasattr(model, "la_id"):
        query = query.where(model.la_id == user.la_id)
    elif hasattr(model, "cycle_id"):
        query = query.join(Cycle, model.cycle_id == Cycle.id).where(Cycle.la_id == user.la_id)
    else:
        raise TypeError(f"{model.__name__} belongs to no LA")
    if user.role == "headteacher":
        if model is Reviewer:
            query = query.where(Reviewer.school_id == user.school_id)
        elif model is Conflict:
            query = query.join(Reviewer, Conflict.reviewer_id == Reviewer.id).where(
                Reviewer.school_id == user.school_id
            )
    return query


def own(user: User, model, *where, what: str):
    """The one row of `model` matching `where` that the user may see (NotFound: "`what` not found")."""
    row = db.session.scalar(visible(user, model).where(*where))
    if row is None:
        raise NotFound(f"{what} not found")
    return row
