"""Scenario v1 <-> database rows: the one place that translates between them.

`build_scenario(cycle)` is what the API's `GET /cycles/{id}/scenario` answers and
what every job feeds the solver. `create_cycle(la, data)` is the reverse: a whole
scenario, validated by the solver's own contract, upserted into the LA's pool
(schools by URN, reviewers by id) plus a new cycle.
"""

from __future__ import annotations

import datetime as dt

from solver.scenario import ScenarioError, load_scenario

from .errors import InvalidInput, errors_from_lines
from .extensions import db
from .models import (
    Cluster,
    Conflict,
    Cycle,
    History,
    LocalAuthority,
    Review,
    Reviewer,
    School,
    SupportProvider,
    SupportRequest,
    Trust,
)
from .pins import with_pins

_UNSET = object()


def validate(data) -> None:
    """Raise InvalidInput listing every problem (by JSON path) of a scenario dict."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a scenario object", {"_schema": ["expected a JSON object"]})
    try:
        load_scenario(data)
    except ScenarioError as exc:
        errors = errors_from_lines(list(exc.errors))
        raise InvalidInput(f"the scenario has {len(exc.errors)} problem(s)", errors) from None


# --------------------------------------------------------------------------- rows -> scenario


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _in_window(dates, cycle: Cycle) -> list[str]:
    # The pool's dates outlive one cycle; the contract calls a date outside the
    # window bad input, so each cycle sees only its own.
    lo, hi = cycle.window_start.isoformat(), cycle.window_end.isoformat()
    return sorted({d for d in dates or [] if lo <= d <= hi})


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def school_dict(s: School, cycle: Cycle | None = None) -> dict:
    closed = _in_window(s.closed_dates, cycle) if cycle else list(s.closed_dates or [])
    return _drop_none(
        {
            "urn": s.urn,
            "name": s.name,
            "la_code": s.la_code,
            "phase": s.phase,
            "cluster": s.cluster.name if s.cluster else None,
            "trust": s.trust.name if s.trust else None,
            "lat": s.lat if s.lat is not None and s.lon is not None else None,
            "lon": s.lon if s.lat is not None and s.lon is not None else None,
            "pupils": s.pupils,
        }
    ) | {"closed_dates": closed}


def reviewer_dict(r: Reviewer, cycle: Cycle | None = None) -> dict:
    unavailable = _in_window(r.unavailable, cycle) if cycle else sorted(r.unavailable or [])
    return _drop_none(
        {
            "id": r.ext_id,
            "name": r.name,
            "school_urn": r.school.urn if r.school else None,
            "role": r.role,
            "lead_accredited": r.lead_accredited,
            "phases": r.phases,
            "specialisms": list(r.specialisms or []),
            "max_reviews": r.max_reviews,
            "day_rate": r.day_rate,
        }
    ) | {"unavailable": unavailable}


def review_dict(rv: Review) -> dict:
    return _drop_none(
        {
            "school_urn": rv.school.urn,
            "priority": rv.priority,
            "focus": list(rv.focus or []),
            "team_size": rv.team_size,
            "earliest": _iso(rv.earliest),
            "latest": _iso(rv.latest),
        }
    )


def cycle_dict(c: Cycle, freeze_before) -> dict:
    return _drop_none(
        {
            "name": c.name,
            "window": {"start": c.window_start.isoformat(), "end": c.window_end.isoformat()},
            "excluded_dates": sorted(c.excluded_dates or []),
            "freeze_before": _iso(freeze_before),
            "team_size": c.team_size,
            "visit_days": c.visit_days,
            "lead_required": c.lead_required,
            "backfill_budget": c.backfill_budget,
            "cluster_budgets": dict(c.cluster_budgets or {}),
            "support_budget": c.support_budget,
            "policy": dict(c.policy or {}),
            "weights": dict(c.weights or {}),
        }
    )


def previous_visits(cycle: Cycle, plan: dict | None) -> list[dict]:
    """The visits of `plan` as the scenario's `previous`, with today's locks."""
    if not plan:
        return []
    reviews = {rv.school.urn: rv for rv in cycle_reviews(cycle)}
    known = set(db.session.scalars(db.select(Reviewer.ext_id).where(Reviewer.la_id == cycle.la_id)))
    out = []
    for visit in plan.get("reviews", []):
        review = reviews.get(visit["school_urn"])
        if review is None:  # no longer to be reviewed in this cycle
            continue
        team = [dict(m) for m in visit["team"] if m["reviewer"] in known]
        if not team:
            continue
        # A locked visit must come back exactly; one whose reviewer was deleted cannot.
        locked = review.locked and len(team) == len(visit["team"])
        out.append({"school_urn": visit["school_urn"], "date": visit["date"], "team": team, "locked": locked})
    return out


def cycle_reviews(cycle: Cycle) -> list[Review]:
    return list(
        db.session.scalars(
            db.select(Review).join(Review.school).where(Review.cycle_id == cycle.id).order_by(School.urn)
        )
    )


def build_scenario(cycle: Cycle, *, freeze_before=_UNSET, previous_plan=_UNSET) -> dict:
    """The cycle as a scenario v1 dict, with the published plan as `previous`.

    The nightly re-optimisation passes its own `freeze_before` (today + notice);
    `previous_plan` overrides the published plan (None: no previous).
    """
    if freeze_before is _UNSET:
        freeze_before = cycle.freeze_before
    if previous_plan is _UNSET:
        previous_plan = cycle.published_version.plan if cycle.published_version else None
    la_id = cycle.la_id
    schools = db.session.scalars(db.select(School).where(School.la_id == la_id).order_by(School.urn))
    reviewers = db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la_id).order_by(Reviewer.ext_id))
    providers = list(
        db.session.scalars(
            db.select(SupportProvider).where(SupportProvider.cycle_id == cycle.id).order_by(SupportProvider.ext_id)
        )
    )
    requests = db.session.scalars(
        db.select(SupportRequest).where(SupportRequest.cycle_id == cycle.id).order_by(SupportRequest.ext_id)
    )
    provider_ids = [p.id for p in providers]
    conflicts = db.session.scalars(
        db.select(Conflict)
        .where(Conflict.la_id == la_id)
        .where(Conflict.reviewer_id.is_not(None) | Conflict.provider_id.in_(provider_ids))
        .order_by(Conflict.id)
    )
    history = db.session.scalars(db.select(History).where(History.cycle_id == cycle.id).order_by(History.id))
    return {
        "version": 1,
        "cycle": cycle_dict(cycle, freeze_before),
        "schools": [school_dict(s, cycle) for s in schools],
        "reviewers": [reviewer_dict(r, cycle) for r in reviewers],
        "reviews": [review_dict(rv) for rv in cycle_reviews(cycle)],
        "conflicts": [conflict_dict(c) for c in conflicts],
        "history": [
            {"reviewer": h.reviewer.ext_id, "school_urn": h.school.urn, "cycles_ago": h.cycles_ago} for h in history
        ],
        "support": {
            "requests": [
                {
                    "id": r.ext_id,
                    "school_urn": r.school.urn,
                    "days": r.days,
                    "focus": list(r.focus or []),
                    "priority": r.priority,
                }
                for r in requests
            ],
            "providers": [
                {
                    "id": p.ext_id,
                    "school_urn": p.school.urn,
                    "capacity_days": p.capacity_days,
                    "day_rate": p.day_rate,
                    "specialisms": list(p.specialisms or []),
                }
                for p in providers
            ],
        },
        "previous": with_pins(cycle, previous_visits(cycle, previous_plan)),
    }


def conflict_dict(c: Conflict) -> dict:
    party = {"reviewer": c.reviewer.ext_id} if c.reviewer else {"provider": c.provider.ext_id}
    return _drop_none(party | {"school_urn": c.school.urn, "reason": c.reason})


# --------------------------------------------------------------------------- scenario -> rows


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
    school.closed_dates = sorted(set(s.get("closed_dates") or []))
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
    reviewer.unavailable = sorted(set(r.get("unavailable") or []))
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
        excluded_dates=sorted(set(c.get("excluded_dates") or [])),
        freeze_before=_date(c.get("freeze_before")),
        cluster_budgets=dict(c.get("cluster_budgets") or {}),
        policy=dict(c.get("policy") or {}),
        weights=dict(c.get("weights") or {}),
    )
    for field in CYCLE_FIELDS:
        if c.get(field) is not None:
            setattr(cycle, field, c[field])
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
        from .plans import plan_from_previous, publish, store_version

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
