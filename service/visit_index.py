"""The published-visit index: one row per member of each visit of every cycle's published plan.

Headteachers' reads (`/me/visits`, the calendar feeds, the school page) come from here: a
school's few rows by index, instead of the LA's every school, reviewer and plan document.
The rows copy names, postcodes and distances, so they are rewritten whenever those change:

- publishing calls `published(cycle, version)`, in the publishing transaction;
- a session hook notes, at each flush, a cycle whose name or published version changed and an
  LA whose schools (URN, name, postcode, coordinates) or reviewers (id, name, school) changed,
  and rewrites those cycles' rows just before the transaction commits.

Each rewrite gives the LA a new random tag; a headteacher's ETag is made from it, so an
unchanged index answers a conditional request after one primary-key look-up. Changes made
with Core statements (not through the ORM) to those tables pass the hook by: call
`rebuild_la(la_id)` after them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from solver.costs import haversine_km

from .extensions import db
from .models import Cycle, LocalAuthority, PlanVersion, PublishedVisit, PublishedVisitTag, Reviewer, School, utcnow

VISITS = PublishedVisit.__table__
TAGS = PublishedVisitTag.__table__

# What the rows copy, by the ORM attribute that holds it.
COPIED = {
    School: ("urn", "name", "postcode", "lat", "lon", "la_id"),
    Reviewer: ("ext_id", "name", "school", "school_id", "la_id"),
    Cycle: ("name", "published_version", "published_version_id"),
}
_PENDING = "visit_index.pending"  # session.info key: {"las": {la_id}, "cycles": {(la_id, cycle_id)}}
_LOCKED = "visit_index.locked"  # session.info key: the LAs whose row this transaction holds


# --------------------------------------------------------------------------- writing


def distance(a, b) -> float | None:
    """The distance the headteacher's page shows, to 0.1 km; None when a school has no coordinates."""
    if a is None or b is None or None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return round(haversine_km(a.lat, a.lon, b.lat, b.lon), 1)


def rows_of(cycle, number: int, version_id: int, plan: dict, schools: dict, reviewers: dict) -> list[dict]:
    """The index rows of `plan` (version `number` of `cycle`), given the LA's schools by URN and
    reviewers by id (rows or objects with the School/Reviewer attributes; a reviewer's
    `school_id` is looked up among `schools`)."""
    by_id = {s.id: s for s in schools.values()}
    out = []
    for visit_no, visit in enumerate(plan.get("reviews", [])):
        host = schools.get(visit["school_urn"])
        for member_no, member in enumerate(visit["team"]):
            reviewer = reviewers.get(member["reviewer"])
            home = by_id.get(reviewer.school_id) if reviewer and reviewer.school_id else None
            out.append(
                {
                    "la_id": cycle.la_id,
                    "cycle_id": cycle.id,
                    "cycle_name": cycle.name,
                    "plan_version_id": version_id,
                    "version_number": number,
                    "visit_no": visit_no,
                    "member_no": member_no,
                    "school_urn": visit["school_urn"],
                    "school_id": host.id if host else None,
                    "school_name": host.name if host else None,
                    "school_postcode": host.postcode if host else None,
                    "date": visit["date"],
                    "days": visit.get("days"),
                    "reviewer": member["reviewer"],
                    "role": member["role"],
                    "reviewer_id": reviewer.id if reviewer else None,
                    "reviewer_name": reviewer.name if reviewer else None,
                    "member_school_id": home.id if home else None,
                    "member_school_urn": home.urn if home else None,
                    "member_school_name": home.name if home else None,
                    "distance_km": distance(home, host),
                }
            )
    return out


def _pool(session, la_id: int) -> tuple[dict, dict]:
    schools = {
        s.urn: s
        for s in session.execute(
            sa.select(School.id, School.urn, School.name, School.postcode, School.lat, School.lon).where(
                School.la_id == la_id
            )
        )
    }
    reviewers = {
        r.ext_id: r
        for r in session.execute(
            sa.select(Reviewer.id, Reviewer.ext_id, Reviewer.name, Reviewer.school_id).where(Reviewer.la_id == la_id)
        )
    }
    return schools, reviewers


def _rewrite(session, la_id: int, cycle_ids: Iterable[int]) -> None:
    """Replace the rows of `cycle_ids` (all of LA `la_id`) by those of their published versions,
    and give the LA a new tag: what its headteachers see may have changed, even with no rows
    (a cycle deleted, a school renamed that heads a calendar)."""
    cycle_ids = sorted(set(cycle_ids))
    if cycle_ids:
        session.execute(sa.delete(VISITS).where(VISITS.c.cycle_id.in_(cycle_ids)))
        published = session.execute(
            sa.select(Cycle.id, Cycle.la_id, Cycle.name, PlanVersion.id.label("version_id"), PlanVersion.number)
            .join(PlanVersion, PlanVersion.id == Cycle.published_version_id)
            .where(Cycle.id.in_(cycle_ids))
        ).all()
        if published:
            schools, reviewers = _pool(session, la_id)
            plans = dict(
                session.execute(
                    sa.select(PlanVersion.id, PlanVersion.plan).where(
                        PlanVersion.id.in_([c.version_id for c in published])
                    )
                ).all()
            )
            rows = []
            for c in published:
                rows += rows_of(c, c.number, c.version_id, plans[c.version_id], schools, reviewers)
            if rows:
                session.execute(sa.insert(VISITS), rows)
    _retag(session, la_id)


def _retag(session, la_id: int) -> None:
    values = {"tag": secrets.token_hex(16), "changed_at": utcnow()}
    if not session.execute(sa.update(TAGS).where(TAGS.c.la_id == la_id).values(**values)).rowcount:
        session.execute(sa.insert(TAGS).values(la_id=la_id, **values))


def published(cycle: Cycle, version: PlanVersion) -> None:
    """Write the index rows of `cycle`'s newly published `version` (the caller commits)."""
    session = db.session()
    session.flush()  # the hook notes the cycle as changed; this is that change's rewrite
    _rewrite(session, cycle.la_id, [cycle.id])
    pending = session.info.get(_PENDING)
    if pending:
        pending["cycles"].discard((cycle.la_id, cycle.id))


def rebuild_la(la_id: int, session=None) -> None:
    """Rewrite every published cycle of LA `la_id` (after its schools or reviewers changed)."""
    session = session or db.session()
    cycles = session.scalars(sa.select(Cycle.id).where(Cycle.la_id == la_id)).all()
    indexed = session.scalars(sa.select(VISITS.c.cycle_id).where(VISITS.c.la_id == la_id).distinct()).all()
    _rewrite(session, la_id, set(cycles) | set(indexed))


# --------------------------------------------------------------------------- keeping it in step


def _changed(obj) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in COPIED[type(obj)])


@event.listens_for(Session, "before_flush")
def _note_changes(session, _context, _instances) -> None:
    pending = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if kind not in COPIED:
            continue
        if obj in session.dirty and not _changed(obj):
            continue
        if obj in session.new and kind is Cycle and obj.published_version_id is None and not obj.published_version:
            continue  # a new cycle has nothing published yet
        pending = pending or session.info.setdefault(_PENDING, {"las": set(), "cycles": set()})
        if kind is Cycle:
            pending["cycles"].add((obj.la_id, obj.id))
        elif obj.la_id is not None:
            pending["las"].add(obj.la_id)
            old_la = sa.inspect(obj).attrs.la_id.history.deleted
            pending["las"].update(la for la in old_la if la is not None)
    if pending:
        _lock_las(session, set(pending["las"]) | {la for la, _ in pending["cycles"]})


def _lock_las(session, la_ids: set) -> None:
    """Hold the LAs' rows before this flush writes: two requests changing one LA's index (a
    school deleted here, a cycle there, both cascading into its rows) then take turns instead
    of deadlocking in PostgreSQL. Ids in order, each once a transaction; no-op on SQLite."""
    locked = session.info.setdefault(_LOCKED, set())
    for la_id in sorted(la for la in la_ids if la is not None and la not in locked):
        # The connection, not the session: a query through the session would flush, mid-flush.
        session.connection().execute(sa.select(LocalAuthority.id).where(LocalAuthority.id == la_id).with_for_update())
        locked.add(la_id)


@event.listens_for(Session, "before_commit")
def _rewrite_pending(session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # commit would flush next; flushing first lets _note_changes see this last batch
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for la_id in sorted(pending["las"]):
        rebuild_la(la_id, session)
    by_la: dict[int, set[int]] = {}
    for la_id, cycle_id in pending["cycles"]:
        if la_id not in pending["las"] and cycle_id is not None:
            by_la.setdefault(la_id, set()).add(cycle_id)
    for la_id, cycle_ids in sorted(by_la.items()):
        _rewrite(session, la_id, cycle_ids)


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_LOCKED, None)


# --------------------------------------------------------------------------- reading


# Built once: a statement made per request costs more CPU than PostgreSQL spends answering it.
_TAG = sa.select(TAGS.c.tag).where(TAGS.c.la_id == sa.bindparam("la_id"))
_MINE = (
    sa.select(VISITS.c.cycle_id, VISITS.c.visit_no)
    .where(
        VISITS.c.la_id == sa.bindparam("la_id"),
        sa.or_(VISITS.c.school_id == sa.bindparam("school_id"), VISITS.c.member_school_id == sa.bindparam("school_id")),
    )
    .distinct()
)
_ROWS = (
    sa.select(VISITS)
    .where(sa.tuple_(VISITS.c.cycle_id, VISITS.c.visit_no).in_(_MINE))
    .order_by(VISITS.c.date, VISITS.c.school_urn, VISITS.c.cycle_id, VISITS.c.visit_no, VISITS.c.member_no)
)


def tag(la_id: int) -> str:
    """The LA's current tag ("" before anything was ever indexed): one primary-key look-up."""
    return db.session.connection().execute(_TAG, {"la_id": la_id}).scalar() or ""


def rows_for_school(la_id: int, school_id: int) -> list:
    """Every row of every published visit to school `school_id` or with one of its reviewers,
    by date, visited school, cycle and the plan's order."""
    return db.session.connection().execute(_ROWS, {"la_id": la_id, "school_id": school_id}).all()
