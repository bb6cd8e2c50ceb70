"""What a headteacher declares for their school's reviewers: days away and conflicts of interest.

One module for the API (`resources/conflicts`) and the pages: a headteacher reaches only
reviewers whose home school is theirs (anything else is NotFound, as if it did not exist),
and withdraws only the conflicts they declared themselves, never those the LA recorded.
"""

from __future__ import annotations

import datetime as dt

from . import ownership
from .dates import iso_dates
from .errors import DomainError, InvalidInput, NotFound
from .extensions import db
from .models import Conflict, Cycle, Reviewer, School, SupportProvider, User
from .pool import find_school


def my_reviewers(user: User) -> list[Reviewer]:
    return list(db.session.scalars(ownership.visible(user, Reviewer).order_by(Reviewer.ext_id)))


def my_reviewer(user: User, ext_id: str) -> Reviewer:
    return ownership.own(user, Reviewer, Reviewer.ext_id == ext_id, what="reviewer")


def parse_dates(first: str, last: str | None = None) -> list[dt.date]:
    """The school days (Monday to Friday) from `first` to `last` inclusive (just `first` without `last`)."""
    try:
        start = dt.date.fromisoformat((first or "").strip())
        end = dt.date.fromisoformat(last.strip()) if last and last.strip() else start
    except ValueError:
        raise InvalidInput("give dates as YYYY-MM-DD", {"dates": ["not a date"]}) from None
    if end < start:
        raise InvalidInput("the last day is before the first", {"last": ["before the first day"]})
    if (end - start).days > 366:
        raise InvalidInput("at most a year at a time", {"last": ["more than a year after the first day"]})
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5] or [start]


def add_unavailable(user: User, ext_id: str, dates: list[dt.date]) -> Reviewer:
    reviewer = my_reviewer(user, ext_id)
    reviewer.unavailable = iso_dates(reviewer.unavailable, dates)
    return reviewer


def remove_unavailable(user: User, ext_id: str, date: str) -> Reviewer:
    reviewer = my_reviewer(user, ext_id)
    reviewer.unavailable = [d for d in reviewer.unavailable or [] if d != date]
    return reviewer


def la_schools(user: User) -> list[School]:
    """The LA's schools, for choosing the school a conflict is with (names and URNs are public)."""
    return list(db.session.scalars(ownership.visible(user, School).order_by(School.name, School.urn)))


def my_conflicts(user: User) -> list[Conflict]:
    """The conflicts of reviewers the user reaches (the LA's provider conflicts are not declarations)."""
    query = ownership.visible(user, Conflict).where(Conflict.reviewer_id.is_not(None))
    return list(db.session.scalars(query.order_by(Conflict.id)))


def declare_conflict(user: User, ext_id: str, school_urn: str, reason: str | None) -> Conflict:
    reviewer = my_reviewer(user, ext_id)
    school = find_school(user.la_id, (school_urn or "").strip())
    if school is None:
        raise InvalidInput("choose a school", {"school_urn": [f"unknown school '{school_urn}'"]})
    reason = (reason or "").strip()[:300] or None
    existing = db.session.scalar(
        db.select(Conflict).where(Conflict.reviewer_id == reviewer.id, Conflict.school_id == school.id)
    )
    if existing is not None:  # declaring twice is harmless; keep one row
        existing.reason = reason or existing.reason
        return existing
    conflict = Conflict(la_id=user.la_id, reviewer=reviewer, school=school, reason=reason, declared_by_id=user.id)
    db.session.add(conflict)
    return conflict


def declare(user: User, data: dict) -> Conflict:
    """A conflict from the API (`ConflictSchema`): a reviewer's, by the rule above, or a support
    provider's, which only the LA team declares (403 for a headteacher)."""
    if data.get("reviewer"):
        return declare_conflict(user, data["reviewer"], data["school_urn"], data.get("reason"))
    if user.role != "la_admin":
        raise DomainError("only the LA team declares provider conflicts", code=403)
    return declare_provider_conflict(user, data)


def declare_provider_conflict(user: User, data: dict) -> Conflict:
    """A support provider of cycle `data["cycle_id"]` kept away from a school (unknown parties: 422)."""
    errors = {}
    school = find_school(user.la_id, data["school_urn"])
    if school is None:
        errors["school_urn"] = [f"unknown school '{data['school_urn']}'"]
    provider = db.session.scalar(
        ownership.visible(user, SupportProvider).where(
            Cycle.id == data["cycle_id"], SupportProvider.ext_id == data["provider"]
        )
    )
    if provider is None:
        errors["provider"] = [f"unknown provider '{data['provider']}' in cycle {data['cycle_id']}"]
    if errors:
        raise InvalidInput("the conflict names unknown parties", errors)
    conflict = Conflict(la_id=user.la_id, provider=provider, school=school, reason=data.get("reason"))
    db.session.add(conflict)
    return conflict


def withdraw(user: User, conflict: Conflict) -> None:
    """Withdraw a conflict the user reaches: a reviewer's by the rule below, a provider's (only
    the LA team reaches those) outright."""
    if conflict.reviewer_id is not None:
        withdraw_conflict(user, conflict.id)
    else:
        db.session.delete(conflict)


def withdraw_conflict(user: User, conflict_id: int) -> None:
    conflict = next((c for c in my_conflicts(user) if c.id == conflict_id), None)
    if conflict is None:
        raise NotFound("conflict not found")
    if user.role == "headteacher" and conflict.declared_by_id != user.id:
        raise DomainError("this conflict was recorded by the LA team; ask them to remove it", code=403)
    db.session.delete(conflict)
