"""Headteachers' accounts, kept by the LA's officers from the pool pages and uploads.

A school's headteacher signs in (by a link in their publication mail or one the officer sends)
to see what concerns their school. The officer gives the head's e-mail address on the school's
page, or in an `email` column of the reviewers spreadsheet for reviewers who are headteachers.
One account a school is kept here: a new address replaces the old one on that account, so a
head who leaves loses the school's pages, API tokens and calendar feed at once.
"""

from __future__ import annotations

import secrets

from marshmallow import ValidationError
from marshmallow.validate import Email

from . import audit, sessions, tokens
from .errors import InvalidInput
from .extensions import db
from .models import School, User

_EMAIL = Email(error="Enter an e-mail address in the right format, like name@school.example")


def clean_email(value: str | None, field: str = "head_email") -> str | None:
    """A trimmed, lower-cased address, None for blank; InvalidInput naming `field` otherwise."""
    text = (value or "").strip().lower()
    if not text:
        return None
    try:
        _EMAIL(text)
    except ValidationError as error:
        raise InvalidInput(f"{field}: {error.messages[0]}", {field: list(error.messages)}) from None
    if len(text) > 254:
        raise InvalidInput(f"{field}: at most 254 characters", {field: ["at most 254 characters"]})
    return text


def head_of(school: School) -> User | None:
    """The school's headteacher account (the oldest, if the CLI made several)."""
    return db.session.scalar(
        db.select(User).where(User.school_id == school.id, User.role == "headteacher").order_by(User.id).limit(1)
    )


def heads_by_school(la_id: int) -> dict[int, str]:
    """School id -> its headteacher's address, for the LA's lists."""
    rows = db.session.execute(
        db.select(User.school_id, User.email)
        .where(User.la_id == la_id, User.role == "headteacher", User.school_id.is_not(None))
        .order_by(User.id.desc())
    )
    # Newest first, so the oldest account (the one `head_of` names) is written last and kept.
    return dict(rows.all())


def holder(email: str) -> User | None:
    """The account with this (cleaned) address, whatever its role."""
    return db.session.scalar(db.select(User).where(db.func.lower(User.email) == email))


def set_head(school: School, email: str | None, *, field: str = "head_email") -> User | None:
    """Give `school`'s headteacher account the address `email` (already cleaned); the caller commits.

    Blank leaves the account as it is. An address held by another account is refused, naming
    `field`: one person cannot sign in as two schools' head, nor as an officer and a head.
    """
    if email is None:
        return head_of(school)
    other = holder(email)
    account = head_of(school)
    if other is not None and other is not account:
        raise InvalidInput(
            f"{field}: {email} is already the address of another account",
            {field: [f"{email} is already the address of another account"]},
        )
    if account is None:
        account = User(email=email, role="headteacher", la_id=school.la_id, school_id=school.id)
        db.session.add(account)
        db.session.flush()
        audit.record(
            "pool.head_account",
            f"gave {school.name or school.urn} a headteacher account ({email})",
            la_id=school.la_id,
            object_type="school",
            object_id=school.urn,
        )
    elif account.email != email:
        before = account.email
        account.email = email
        # The account changes hands: the old head's sessions, API tokens and calendar feed URL
        # (which carries the key) all end.
        account.calendar_key = secrets.token_urlsafe(24)
        sessions.end_everywhere(account)
        tokens.revoke(account)
        audit.record(
            "pool.head_account",
            f"changed the headteacher account of {school.name or school.urn} from {before} to {email}",
            la_id=school.la_id,
            object_type="school",
            object_id=school.urn,
        )
    return account
