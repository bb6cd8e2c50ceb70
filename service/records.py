"""Tables of what happens around a cycle's plans: the audit trail, the mails sent on
publication, what-ifs and the visits an officer changed by hand.

They sit apart from `models.py` only to keep that module short; `models.py` imports them,
so every table is in the one metadata (migrations, tests' clean-up). This module names the
other tables by string and never imports `models` (which would be a cycle).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .extensions import db

if TYPE_CHECKING:
    from .models import Cycle, PlanVersion, Review, Solve, User


def utcnow() -> dt.datetime:
    """As `models.utcnow`: naive UTC (SQLite keeps no zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class AuditEvent(db.Model):
    """Who did what and when. Append-only: no foreign keys (the record outlives what it names),
    no update or delete anywhere in the code, and the database refuses both (see the migration)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    la_id: Mapped[int] = mapped_column(index=True)
    actor_id: Mapped[int | None]
    # The actor's e-mail then (or "system" for the nightly run), kept if the user goes.
    actor: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    cycle_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(sa.String(500))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class AuditImmutable(RuntimeError):
    """Raised on any attempt to change or delete an audit event through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, _context, _instances):
    for row in session.deleted:
        if isinstance(row, AuditEvent):
            raise AuditImmutable("audit events are append-only: they cannot be deleted")
    for row in session.dirty:
        if isinstance(row, AuditEvent) and session.is_modified(row):
            raise AuditImmutable("audit events are append-only: they cannot be changed")


MAIL_STATES = ("pending", "sending", "sent", "failed")


class MailMessage(db.Model):
    """One mail to one headteacher about one publication (the outbox).

    Written in the publication's own transaction, sent afterwards by a job; the message is
    built when the plan is published, so it says what was published even if data changes."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    plan_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    school_urn: Mapped[str] = mapped_column(sa.String(16))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    ics: Mapped[str | None] = mapped_column(sa.Text)
    page_url: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    backend: Mapped[str | None] = mapped_column(sa.String(16))
    provider_ref: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    cycle: Mapped[Cycle] = relationship()
    plan_version: Mapped[PlanVersion | None] = relationship()
    user: Mapped[User | None] = relationship()


WHAT_IF_STATES = ("solving", "ready", "failed", "adopted", "discarded")


class WhatIf(db.Model):
    """A setting change tried on a copy of the cycle: its solve, its draft plan, and what the
    officer decided. The draft becomes a plan version only when adopted."""

    __tablename__ = "what_ifs"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    base_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="SET NULL"))
    solve_id: Mapped[str | None] = mapped_column(sa.ForeignKey("solves.id", ondelete="SET NULL"), index=True)
    # What it answers: an unstaffed review (school) or an unmet support request, or neither.
    school_urn: Mapped[str | None] = mapped_column(sa.String(16))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(300))
    change: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="solving")
    plan: Mapped[dict | None] = mapped_column(sa.JSON)
    # SHA-256 of the scenario it was solved on: adopting checks the cycle still says the same.
    scenario_hash: Mapped[str | None] = mapped_column(sa.String(64))
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]

    cycle: Mapped[Cycle] = relationship()
    base_version: Mapped[PlanVersion | None] = relationship(foreign_keys=[base_version_id])
    version: Mapped[PlanVersion | None] = relationship(foreign_keys=[version_id])
    # Also orders the inserts: a what-if and its solve are written in one flush, the solve first.
    solve: Mapped[Solve | None] = relationship()


class HandPin(db.Model):
    """A visit an officer set by hand: later solves and the nightly run keep it as it is in
    `plan_version` (the scenario lists it in `previous` with `locked: true`) until released."""

    __tablename__ = "hand_pins"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    review: Mapped[Review] = relationship()
    plan_version: Mapped[PlanVersion] = relationship()
