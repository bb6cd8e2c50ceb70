"""Scenario v1 -> database rows: `create_cycle(la, data)` validates a whole scenario by the
solver's own contract (`scenario.validate`) and upserts it into the LA's pool (schools by
URN, reviewers by id) plus a new cycle, publishing its `previous` visits as the cycle's
first plan. The reverse, rows -> scenario, is `service/scenario.py`.
"""

from __future__ import annotations

import datetime as dt

from .dates import iso_dates
from .extensions import db
from .models import (
    Cluster,
    Conflict,
    Cycle,
    GroupHistory,
    History,
    LocalAuthority,
    Review,
    Reviewer,
    School,
    SupportProvider,
    SupportRequest,
    Trust,
)
from .plans import plan_from_previous, publish, store_version
from .scenario import PROGRAMME_KEYS, validate


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def get_or_create(model, **keys):
    row = db.session.scalar(db.select(model).filter_by(**keys))
    if row is None:
        row = model(**keys)
        db.session.add(row)
    return row


def named(model, la_id: int, name: str | None):
    """The LA's cluster or trust called `name` (created on first use)."""
    if not name:
        return None
    return get_or_create(model, la_id=la_id, name=name)


def upsert_school(la: LocalAuthority, s: dict) -> School:
    school = get_or_create(School, la_id=la.id, urn=str(s["urn"]))
    school.name = s.get("name")
    school.la_code = s.get("la_code")
    school.phase = s.get("phase")
    school.cluster = named(Cluster, la.id, s.get("cluster"))
    school.trust = named(Trust, la.id, s.get("trust"))
    school.lat, school.lon = s.get("lat"), s.get("lon")
    school.pupils = s.get("pupils")
    school.closed_dates = iso_dates(s.get("closed_dates"))
    return school


def upsert_reviewer(la: LocalAuthority, r: dict, schools: dict[str, School]) -> Reviewer:
    reviewer = get_or_create(Reviewer, la_id=la.id, ext_id=r["id"])
    reviewer.name = r.get("name")
    reviewer.school = schools[r["school_urn"]] if r.get("school_urn") else None
    reviewer.role = r.get("role") or "headteacher"
    reviewer.lead_accredited = bool(r.get("lead_accredited", False))
    reviewer.phases = r.get("phases")
    reviewer.specialisms = list(r.get("specialisms") or [])
    reviewer.max_reviews = r.get("max_reviews", 1)
    reviewer.day_rate = float(r.get("day_rate", 0.0))
    reviewer.unavailable = iso_dates(r.get("unavailable"))
    return reviewer


CYCLE_FIELDS = ("team_size", "visit_days", "lead_required", "backfill_budget", "support_budget")


def create_cycle(la: LocalAuthority, data: dict) -> Cycle:
    """Validate a whole scenario and store it: upsert the pool, create the cycle.

    Everything is added to the current session; the caller commits once, so a
    failure leaves nothing behind.
    """
    validate(data)
    c = data["cycle"]
    cycle = Cycle(
        la_id=la.id,
        name=c.get("name") or "Untitled cycle",
        window_start=_date(c["window"]["start"]),
        window_end=_date(c["window"]["end"]),
        excluded_dates=iso_dates(c.get("excluded_dates")),
        freeze_before=_date(c.get("freeze_before")),
        cluster_budgets=dict(c.get("cluster_budgets") or {}),
        policy=dict(c.get("policy") or {}),
        weights=dict(c.get("weights") or {}),
    )
    for field in CYCLE_FIELDS:
        if c.get(field) is not None:
            setattr(cycle, field, c[field])
    cycle.scenario_version = "1.1" if data.get("version") == "1.1" else "1"
    cycle.programme = {k: c[k] for k in PROGRAMME_KEYS if c.get(k) is not None}
    db.session.add(cycle)

    schools = {str(s["urn"]): upsert_school(la, s) for s in data["schools"]}
    db.session.flush()
    reviewers = {r["id"]: upsert_reviewer(la, r, schools) for r in data.get("reviewers", [])}
    db.session.flush()

    reviews = {}
    for rv in data.get("reviews", []):
        review = Review(
            cycle_id=cycle.id,
            school=schools[rv["school_urn"]],
            priority=rv.get("priority", 1),
            focus=list(rv.get("focus") or []),
            team_size=rv.get("team_size"),
            earliest=_date(rv.get("earliest")),
            latest=_date(rv.get("latest")),
            visit_days=rv.get("visit_days"),
            offered_dates=iso_dates(rv["offered_dates"]) if rv.get("offered_dates") is not None else None,
            follow_up=bool(rv.get("follow_up", False)),
        )
        reviews[rv["school_urn"]] = review
        db.session.add(review)

    support = data.get("support") or {}
    providers = {}
    for p in support.get("providers", []):
        providers[p["id"]] = SupportProvider(
            cycle_id=cycle.id,
            ext_id=p["id"],
            school=schools[p["school_urn"]],
            capacity_days=p.get("capacity_days", 0),
            day_rate=float(p.get("day_rate", 0.0)),
            specialisms=list(p.get("specialisms") or []),
        )
        db.session.add(providers[p["id"]])
    for q in support.get("requests", []):
        db.session.add(
            SupportRequest(
                cycle_id=cycle.id,
                ext_id=q["id"],
                school=schools[q["school_urn"]],
                days=q.get("days", 1),
                focus=list(q.get("focus") or []),
                priority=q.get("priority", 1),
            )
        )
    db.session.flush()

    for k in data.get("conflicts", []):
        school = schools[k["school_urn"]]
        if k.get("reviewer"):
            conflict = get_or_create(
                Conflict, la_id=la.id, reviewer_id=reviewers[k["reviewer"]].id, school_id=school.id
            )
        else:
            conflict = Conflict(la_id=la.id, provider_id=providers[k["provider"]].id, school_id=school.id)
            db.session.add(conflict)
        conflict.reason = k.get("reason")
    for g in data.get("group_history", []):
        db.session.add(
            GroupHistory(cycle_id=cycle.id, name=g.get("name"), cycles_ago=g["cycles_ago"], schools=list(g["schools"]))
        )
    for h in data.get("history", []):
        db.session.add(
            History(
                cycle_id=cycle.id,
                reviewer=reviewers[h["reviewer"]],
                school=schools[h["school_urn"]],
                cycles_ago=h.get("cycles_ago", 1),
            )
        )
    db.session.flush()

    if data.get("previous"):
        for visit in data["previous"]:
            if visit.get("locked") and visit["school_urn"] in reviews:
                reviews[visit["school_urn"]].locked = True
        version = store_version(
            cycle,
            plan_from_previous(data),
            source="import",
            note="the plan given as `previous` when the cycle was created",
        )
        publish(cycle, version)
    return cycle
