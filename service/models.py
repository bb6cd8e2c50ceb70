"""The service's tables (flask-sqlalchemy 3.1, SQLAlchemy 2 declarative style).

Schools, reviewers, conflicts, clusters and trusts belong to a local authority:
they are the LA's pool, kept from one cycle to the next. A cycle holds what is
particular to one round of reviews (window, rules, reviews, support, history).
A plan version is immutable; publishing moves `Cycle.published_version_id`.
Dates inside JSON columns are ISO strings, as in the scenario format.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class LocalAuthority(db.Model):
    __tablename__ = "local_authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)  # DfE LA code, e.g. "358"
    name: Mapped[str] = mapped_column(sa.String(200), default="")


class Cluster(db.Model):
    __tablename__ = "clusters"
    __table_args__ = (sa.UniqueConstraint("la_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))


class Trust(db.Model):
    __tablename__ = "trusts"
    __table_args__ = (sa.UniqueConstraint("la_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(300))


class School(db.Model):
    __tablename__ = "schools"
    # URNs are national, but each LA keeps its own copy of the schools it works
    # with, so one LA's edits can never touch another's data.
    __table_args__ = (sa.UniqueConstraint("la_id", "urn"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), index=True)
    urn: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str | None] = mapped_column(sa.String(300))
    la_code: Mapped[str | None] = mapped_column(sa.String(8))
    phase: Mapped[str | None] = mapped_column(sa.String(20))
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clusters.id", ondelete="SET NULL"))
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id", ondelete="SET NULL"))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    pupils: Mapped[int | None]
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    opened_on: Mapped[dt.date | None]
    closed_dates: Mapped[list] = mapped_column(sa.JSON, default=list)

    cluster: Mapped[Cluster | None] = relationship()
    trust: Mapped[Trust | None] = relationship()


class Reviewer(db.Model):
    __tablename__ = "reviewers"
    __table_args__ = (sa.UniqueConstraint("la_id", "ext_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), index=True)
    ext_id: Mapped[str] = mapped_column(sa.String(64))  # the scenario's reviewer id
    name: Mapped[str | None] = mapped_column(sa.String(200))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    role: Mapped[str] = mapped_column(sa.String(40), default="headteacher")
    lead_accredited: Mapped[bool] = mapped_column(default=False)
    # None means "the scenario default" (home school's phase, or every phase).
    phases: Mapped[list | None] = mapped_column(sa.JSON)
    specialisms: Mapped[list] = mapped_column(sa.JSON, default=list)
    max_reviews: Mapped[int] = mapped_column(default=1)
    day_rate: Mapped[float] = mapped_column(default=0.0)
    unavailable: Mapped[list] = mapped_column(sa.JSON, default=list)

    school: Mapped[School | None] = relationship()


class Cycle(db.Model):
    __tablename__ = "cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    window_start: Mapped[dt.date]
    window_end: Mapped[dt.date]
    excluded_dates: Mapped[list] = mapped_column(sa.JSON, default=list)
    freeze_before: Mapped[dt.date | None]
    team_size: Mapped[int] = mapped_column(default=3)
    visit_days: Mapped[int] = mapped_column(default=1)
    lead_required: Mapped[bool] = mapped_column(default=True)
    backfill_budget: Mapped[float | None]
    support_budget: Mapped[float | None]
    cluster_budgets: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Only the keys given; the solver fills in the contract's defaults.
    policy: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    weights: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Partnership terms: visits may not move with less than this notice.
    notice_days: Mapped[int] = mapped_column(default=7)
    auto_publish: Mapped[bool] = mapped_column(default=False)
    auto_publish_max_changes: Mapped[int] = mapped_column(default=0)
    published_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("plan_versions.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Scenario v1.1: "1" or "1.1", and the v1.1 cycle keys given (model, groups, visit_lengths,
    # follow_up, load; the defaults are the contract's).
    scenario_version: Mapped[str] = mapped_column(sa.String(4), default="1", server_default="1")
    programme: Mapped[dict | None] = mapped_column(sa.JSON, default=dict)

    published_version: Mapped[PlanVersion | None] = relationship(foreign_keys=[published_version_id], post_update=True)

    @property
    def model(self) -> str:
        return (self.programme or {}).get("model", "teams")


class Review(db.Model):
    """A school to be reviewed in a cycle (at most one per school)."""

    __tablename__ = "reviews"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "school_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(default=1)
    focus: Mapped[list] = mapped_column(sa.JSON, default=list)
    team_size: Mapped[int | None]
    earliest: Mapped[dt.date | None]
    latest: Mapped[dt.date | None]
    # Lock state lives here, not in the immutable plan: a locked review keeps
    # its published visit through every re-optimisation.
    locked: Mapped[bool] = mapped_column(default=False)
    # Scenario v1.1: the visit's own length, the start dates the school offers, a follow-up.
    visit_days: Mapped[int | None]
    offered_dates: Mapped[list | None] = mapped_column(sa.JSON)
    follow_up: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    school: Mapped[School] = relationship()


class SupportProvider(db.Model):
    __tablename__ = "support_providers"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "ext_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    ext_id: Mapped[str] = mapped_column(sa.String(64))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    capacity_days: Mapped[int] = mapped_column(default=0)
    day_rate: Mapped[float] = mapped_column(default=0.0)
    specialisms: Mapped[list] = mapped_column(sa.JSON, default=list)

    school: Mapped[School] = relationship()


class SupportRequest(db.Model):
    __tablename__ = "support_requests"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "ext_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    ext_id: Mapped[str] = mapped_column(sa.String(64))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column(default=1)
    focus: Mapped[list] = mapped_column(sa.JSON, default=list)
    priority: Mapped[int] = mapped_column(default=1)

    school: Mapped[School] = relationship()


class Conflict(db.Model):
    """A reviewer (LA-wide) or a support provider (one cycle) who must not go to a school."""

    __tablename__ = "conflicts"
    __table_args__ = (sa.CheckConstraint("(reviewer_id IS NULL) <> (provider_id IS NULL)", name="one_party"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_providers.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The headteacher who declared it (null: recorded by the LA team or imported); only they
    # may withdraw it.
    declared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    reviewer: Mapped[Reviewer | None] = relationship()
    provider: Mapped[SupportProvider | None] = relationship()
    school: Mapped[School] = relationship()


class History(db.Model):
    """A reviewer visited a school `cycles_ago` cycles before this one."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("reviewers.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    cycles_ago: Mapped[int] = mapped_column(default=1)

    reviewer: Mapped[Reviewer] = relationship()
    school: Mapped[School] = relationship()


class GroupHistory(db.Model):
    """A group of an earlier round (scenario v1.1 `group_history`), as this cycle sees it: the
    schools grouped together `cycles_ago` rounds before this one. Written when the cycle is
    created, from the scenario or from the LA's earlier cycles' published groups."""

    __tablename__ = "group_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    cycles_ago: Mapped[int] = mapped_column(default=1)
    schools: Mapped[list] = mapped_column(sa.JSON, default=list)  # URNs


class PlanVersion(db.Model):
    """An immutable plan (plan v1 JSON) for a cycle, numbered 1, 2, … per cycle."""

    __tablename__ = "plan_versions"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    plan: Mapped[dict] = mapped_column(sa.JSON)
    source: Mapped[str] = mapped_column(sa.String(20))  # solve | edit | import | nightly
    note: Mapped[str | None] = mapped_column(sa.Text)
    solve_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A nightly proposal's changes against the plan published then, each with its
    # causes: written with the version, because tomorrow's data may no longer explain it.
    diff: Mapped[dict | None] = mapped_column(sa.JSON)

    cycle: Mapped[Cycle] = relationship(foreign_keys=[cycle_id])


class SolveStatus(enum.StrEnum):
    """Where a solve is in its life; `service/solve_lifecycle.py` owns every move between these."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


# A queued or running solve holds its cycle (one at a time, by the unique index below).
ACTIVE_SOLVE_STATES = (SolveStatus.QUEUED, SolveStatus.RUNNING)
ENDED_SOLVE_STATES = (SolveStatus.FINISHED, SolveStatus.FAILED, SolveStatus.CANCELLED)
_ACTIVE_SQL = "status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_SOLVE_STATES) + ")"


class Solve(db.Model):
    """One solver run, durable across processes; its id is the RQ job id."""

    __tablename__ = "solves"
    __table_args__ = (
        # One queued/running solve per cycle, enforced by the database itself
        # so two simultaneous requests cannot both start one.
        sa.Index(
            "uq_solves_one_active_per_cycle",
            "cycle_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
    )
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=lambda: uuid.uuid4().hex)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=SolveStatus.QUEUED.value)
    kind: Mapped[str] = mapped_column(sa.String(16), default="solve")  # solve | nightly
    time_limit_s: Mapped[float] = mapped_column(default=30.0)
    # Where it runs: "rq" or "thread:<host>:<pid>" (lets us spot a dead in-process run).
    runner: Mapped[str | None] = mapped_column(sa.String(200))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    objective: Mapped[float | None]
    bound: Mapped[float | None]
    elapsed_s: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    plan_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="SET NULL"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    cycle: Mapped[Cycle] = relationship()
    plan_version: Mapped[PlanVersion | None] = relationship(foreign_keys=[plan_version_id])


ROLES = ("la_admin", "headteacher")


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Pages: a werkzeug password hash (None: signs in by one-time link only), and the
    # random key mixed into the signed iCalendar feed URL (new key = old URL dead).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    calendar_key: Mapped[str | None] = mapped_column(sa.String(64))
    # A page session names the generation it was made in; sign-out, a password change and "sign
    # out everywhere" move it on, and every older session cookie stops working (service/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    la: Mapped[LocalAuthority] = relationship()
    school: Mapped[School | None] = relationship()


class PublishedVisit(db.Model):
    """One reviewer on one visit of a cycle's published plan, as headteachers' reads show it.

    Derived data (service/visit_index.py writes it; nothing else should): the names, postcodes
    and distances are copied here when a version is published and rewritten when they change,
    so that a headteacher's visits are a few indexed rows instead of the LA's whole pool and plans.
    """

    __tablename__ = "published_visits"
    __table_args__ = (
        # School and reviewer ids are unique across LAs, so each alone finds a school's rows (and
        # serves the foreign keys' ON DELETE); (cycle, visit) finds a visit's whole team.
        sa.UniqueConstraint("cycle_id", "visit_no", "member_no"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"))
    cycle_name: Mapped[str] = mapped_column(sa.String(200))
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int]
    # The visit's place in the plan's `reviews` and the member's in its `team`: the plan's order.
    visit_no: Mapped[int]
    member_no: Mapped[int]
    # The visited school: the plan's URN, and the LA's school of that URN (if any) at writing time.
    school_urn: Mapped[str] = mapped_column(sa.String(16))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    school_name: Mapped[str | None] = mapped_column(sa.String(300))
    school_postcode: Mapped[str | None] = mapped_column(sa.String(10))
    date: Mapped[str] = mapped_column(sa.String(10))  # ISO, as in the plan
    days: Mapped[list | None] = mapped_column(sa.JSON)  # the plan's `days`; None when it has none
    # The member: the plan's reviewer id, and the LA's reviewer of that id (if any) with their school.
    reviewer: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(20))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviewers.id", ondelete="SET NULL"), index=True)
    reviewer_name: Mapped[str | None] = mapped_column(sa.String(200))
    member_school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    member_school_urn: Mapped[str | None] = mapped_column(sa.String(16))
    member_school_name: Mapped[str | None] = mapped_column(sa.String(300))
    # From the member's school to the visited school, to 0.1 km (None: a school has no coordinates).
    distance_km: Mapped[float | None]


class PublishedVisitTag(db.Model):
    """A random tag per LA, new each time its published visits are rewritten: the ETags' source."""

    __tablename__ = "published_visit_tags"
    la_id: Mapped[int] = mapped_column(
        sa.ForeignKey("local_authorities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tag: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginLink(db.Model):
    """A one-time sign-in link for the pages: stored hashed, used once, short-lived."""

    __tablename__ = "login_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class Token(db.Model):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token: tokens are 256 random bits, so a fast hash is
    # enough (no dictionary to guess from) and lookup stays one indexed query.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Past it the token is refused (service/tokens.py; config TOKEN_LIFETIME_DAYS).
    expires_at: Mapped[dt.datetime | None]
    # Written at most once a minute per token, so that reads stay reads.
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class PoolUpload(db.Model):
    """A school or reviewer file between its preview and the officer's confirmation.

    Kept server-side (not in the cookie), bound to the user who uploaded it, and short-lived;
    `fingerprint` is the preview's changes, so a confirmation writes exactly what was shown.
    """

    __tablename__ = "pool_uploads"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    la_id: Mapped[int] = mapped_column(sa.ForeignKey("local_authorities.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # schools | reviewers
    filename: Mapped[str] = mapped_column(sa.String(255))
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


# The audit trail, the mail outbox, what-ifs and hand pins: one metadata for every table.
from .records import AuditEvent, HandPin, MailMessage, WhatIf  # noqa: E402,F401
