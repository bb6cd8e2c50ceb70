"""The cost formula of scenario.md, in one place: what each choice costs, and what a plan costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .scenario import Provider, Review, Reviewer, Scenario, School, SupportRequest

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(a: School | None, b: School | None) -> float:
    """Great-circle distance between two schools; 0 when either lacks coordinates."""
    if a is None or b is None or a.lat is None or b.lat is None or a.lon is None or b.lon is None:
        return 0.0
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def phase_mismatch(reviewer: Reviewer, school: School) -> bool:
    """True when the visited school's phase is not one the reviewer works in (unknown: no)."""
    return school.phase is not None and school.phase not in reviewer.phases


@dataclass(frozen=True)
class MemberCost:
    backfill: float
    mileage: float
    expertise: float  # the saving, a positive number
    mismatch: float

    @property
    def total(self) -> float:
        return self.backfill + self.mileage - self.expertise + self.mismatch


def member_cost(sc: Scenario, reviewer: Reviewer, review: Review) -> MemberCost:
    """What one team member costs on one visit: backfill, mileage, expertise, phase."""
    w, vd = sc.cycle.weights, sc.visit_days_of(review)
    school = sc.school_by_urn[review.school_urn]
    home = sc.school_by_urn.get(reviewer.school_urn) if reviewer.school_urn else None
    matches = len(set(reviewer.specialisms) & set(review.focus))
    mismatch = w.phase_mismatch if sc.cycle.policy.phase_match == "prefer" and phase_mismatch(reviewer, school) else 0.0
    return MemberCost(
        backfill=reviewer.day_rate * vd,
        mileage=2 * distance_km(home, school) * w.mileage_per_km * vd,
        expertise=w.expertise * matches,
        mismatch=mismatch,
    )


def follow_up_cost(sc: Scenario, lead: Reviewer, school: School) -> MemberCost:
    """What a follow-up (v1.1) costs: its lead's backfill and mileage for its days."""
    w = sc.cycle.weights
    days = sc.cycle.follow_up.days if sc.cycle.follow_up is not None else 0
    home = sc.school_by_urn.get(lead.school_urn) if lead.school_urn else None
    return MemberCost(
        backfill=lead.day_rate * days,
        mileage=2 * distance_km(home, school) * w.mileage_per_km * days,
        expertise=0.0,
        mismatch=0.0,
    )


@dataclass(frozen=True)
class SupportCost:
    fee: float
    mileage: float
    expertise: float

    @property
    def total(self) -> float:
        return self.fee + self.mileage - self.expertise


def support_cost(sc: Scenario, request: SupportRequest, provider: Provider) -> SupportCost:
    """What meeting one support request with one provider costs."""
    w = sc.cycle.weights
    dist = distance_km(sc.school_by_urn.get(provider.school_urn), sc.school_by_urn.get(request.school_urn))
    matches = len(set(provider.specialisms) & set(request.focus))
    return SupportCost(
        fee=request.days * provider.day_rate,
        mileage=request.days * 2 * dist * w.mileage_per_km,
        expertise=w.expertise * matches,
    )


@dataclass
class PlanCost:
    objective: float
    backfill: float
    support: float
    mileage: float
    backfill_by_cluster: dict[str, float]
    dropped_pairs: int
    date_changes: int


def plan_cost(sc: Scenario, plan: dict) -> PlanCost:
    """Recompute the objective of a plan (v1 dict) from scratch, term by term as scenario.md says.

    Teams or requests naming unknown reviewers/providers are skipped here; the checker reports them.
    """
    w = sc.cycle.weights
    reviews = {rv.school_urn: rv for rv in sc.reviews}
    providers = {p.id: p for p in sc.providers}
    total = backfill = support = mileage = 0.0
    by_cluster = dict.fromkeys(sc.cycle.cluster_budgets, 0.0)

    staffed: dict[str, dict] = {v["school_urn"]: v for v in plan.get("reviews", [])}
    for rv in sc.reviews:
        if rv.school_urn not in staffed:
            total += w.unstaffed * rv.priority
    for visit in plan.get("reviews", []):
        # A fixed visit to a school no longer under review still costs what its team costs.
        review = reviews.get(visit["school_urn"]) or Review(school_urn=visit["school_urn"])
        for m in visit["team"]:
            r = sc.reviewer_by_id.get(m["reviewer"])
            if r is None:
                continue
            c = member_cost(sc, r, review)
            total += c.total
            backfill += c.backfill
            mileage += c.mileage
            home = sc.school_by_urn.get(r.school_urn) if r.school_urn else None
            if home is not None and home.cluster in by_cluster:
                by_cluster[home.cluster] += c.backfill

    for fu in plan.get("follow_ups", []):  # v1.1
        r, school = sc.reviewer_by_id.get(fu.get("lead")), sc.school_by_urn.get(fu.get("school_urn"))
        if r is None or school is None:
            continue
        c = follow_up_cost(sc, r, school)
        total += c.total
        backfill += c.backfill
        mileage += c.mileage
        home = sc.school_by_urn.get(r.school_urn) if r.school_urn else None
        if home is not None and home.cluster in by_cluster:
            by_cluster[home.cluster] += c.backfill

    met = {m["request"]: m["provider"] for m in plan.get("support", [])}
    for q in sc.support_requests:
        pid = met.get(q.id)
        p = providers.get(pid) if pid is not None else None
        if p is None:
            total += w.unmet_support * q.priority
            continue
        s = support_cost(sc, q, p)
        total += s.total
        support += s.fee
        mileage += s.mileage

    new_pairs = {(m["reviewer"], v["school_urn"]) for v in plan.get("reviews", []) for m in v["team"]}
    dropped = sum(1 for pv in sc.previous for m in pv.team if (m.reviewer, pv.school_urn) not in new_pairs)
    date_changes = sum(
        1 for pv in sc.previous if pv.school_urn in staffed and staffed[pv.school_urn]["date"] != pv.date.isoformat()
    )
    total += w.change * dropped + w.date_change * date_changes
    return PlanCost(
        objective=total,
        backfill=backfill,
        support=support,
        mileage=mileage,
        backfill_by_cluster=by_cluster,
        dropped_pairs=dropped,
        date_changes=date_changes,
    )


def price_plan(sc: Scenario, plan: dict) -> dict:
    """Write a plan's `objective`, `costs` and `changes` from its visits and support, by the
    formula: what the solver reports, and what the service writes for a plan made by hand."""
    cost = plan_cost(sc, plan)
    plan["objective"] = round(cost.objective, 6)
    plan["costs"] = {
        "backfill": round(cost.backfill, 2),
        "support": round(cost.support, 2),
        "mileage": round(cost.mileage, 2),
        "backfill_by_cluster": {k: round(v, 2) for k, v in cost.backfill_by_cluster.items()},
    }
    plan["changes"] = {"dropped_pairs": cost.dropped_pairs, "date_changes": cost.date_changes}
    return plan
