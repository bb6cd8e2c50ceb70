"""What a headteacher declares for their school's reviewers: days away and conflicts of interest.

One module for the API (`resources/conflicts`) and the pages: a headteacher reaches only
reviewers whose home school is theirs (anything else is NotFound, as if it did not exist),
and withdraws only the conflicts they declared themselves, never those the LA recorded.
"""

from __future__ import annotations

import datetime as dt

from .errors import DomainError, InvalidInput, NotFound
from .extensions import db
from .models import Conflict, Cycle, Reviewer, School, SupportProvider, User


def my_reviewers(user: User) -> list[Reviewer]:
    query = db.select(Reviewer).where(Reviewer.la_id == user.la_id)
    if user.role == "headteacher":
        query = query.where(Reviewer.school_id == user.school_id)
    return list(db.session.scalars(query.order_by(Reviewer.ext_id)))


def my_reviewer(user: User, ext_id: str) -> Reviewer:
    reviewer = db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == user.la_id, Reviewer.ext_id == ext_id))
    if reviewer is None or (user.role == "headteacher" and reviewer.school_id != user.school_id):
        raise NotFound("reviewer not found")
    return reviewer


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
    reviewer.unavailable = sorted(set(reviewer.unavailable or []) | {d.isoformat() for d in dates})
    return reviewer


def remove_unavailable(user: User, ext_id: str, date: str) -> Reviewer:
    reviewer = my_reviewer(user, ext_id)
    reviewer.unavailable = [d for d in reviewer.unavailable or [] if d != date]
    return reviewer


def la_schools(user: User) -> list[School]:
    """The LA's schools, for choosing the school a conflict is with (names and URNs are public)."""
    return list(
        db.session.scalars(db.select(School).where(School.la_id == user.la_id).order_by(School.name, School.urn))
    )


def my_conflicts(user: User) -> list[Conflict]:
    query = db.select(Conflict).join(Reviewer, Conflict.reviewer_id == Reviewer.id).where(Conflict.la_id == user.la_id)
    if user.role == "headteacher":
        query = query.where(Reviewer.school_id == user.school_id)
    return list(db.session.scalars(query.order_by(Conflict.id)))


def declare_conflict(user: User, ext_id: str, school_urn: str, reason: str | None) -> Conflict:
    reviewer = my_reviewer(user, ext_id)
    school = db.session.scalar(
        db.select(School).where(School.la_id == user.la_id, School.urn == (school_urn or "").strip())
    )
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
    school = db.session.scalar(db.select(School).where(School.la_id == user.la_id, School.urn == data["school_urn"]))
    if school is None:
        errors["school_urn"] = [f"unknown school '{data['school_urn']}'"]
    provider = db.session.scalar(
        db.select(SupportProvider)
        .join(Cycle, SupportProvider.cycle_id == Cycle.id)
        .where(Cycle.la_id == user.la_id, Cycle.id == data["cycle_id"], SupportProvider.ext_id == data["provider"])
    )
    if provider is None:
        errors["provider"] = [f"unknown provider '{data['provider']}' in cycle {data['cycle_id']}"]
    if errors:
        raise InvalidInput("the conflict names unknown parties", errors)
    conflict = Conflict(la_id=user.la_id, provider=provider, school=school, reason=data.get("reason"))
    db.session.add(conflict)
    return conflict


def withdraw_conflict(user: User, conflict_id: int) -> None:
    conflict = next((c for c in my_conflicts(user) if c.id == conflict_id), None)
    if conflict is None:
        raise NotFound("conflict not found")
    if user.role == "headteacher" and conflict.declared_by_id != user.id:
        raise DomainError("this conflict was recorded by the LA team; ask them to remove it", code=403)
    db.session.delete(conflict)
