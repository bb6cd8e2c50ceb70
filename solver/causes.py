"""Why a visit of the published plan changed on re-optimisation, in words an officer can check.

The previous visit is tested against today's scenario with the rules' own predicates (as the
checker does); what it now breaks is the cause. A visit that still keeps every rule was
changed to make room elsewhere, and the causes say so, naming what else changed in the
cycle (budgets).
"""

from __future__ import annotations

import datetime as dt

from .costs import plan_cost
from .rules import Rules
from .scenario import Scenario, load_scenario


def _previous_plan(sc: Scenario) -> dict:
    return {
        "reviews": [
            {
                "school_urn": pv.school_urn,
                "date": pv.date.isoformat(),
                "team": [{"reviewer": m.reviewer, "role": m.role} for m in pv.team],
            }
            for pv in sc.previous
        ],
        "support": [],
    }


def cycle_causes(scenario) -> list[str]:
    """Changes to the cycle as a whole that force changes to the previous visits."""
    sc = load_scenario(scenario)
    c = sc.cycle
    prev = plan_cost(sc, _previous_plan(sc))
    out = []
    if c.backfill_budget is not None and prev.backfill > c.backfill_budget + 0.005:
        out.append(f"backfill budget is now £{c.backfill_budget:,.2f}; the published plan used £{prev.backfill:,.2f}")
    for name, limit in c.cluster_budgets.items():
        if prev.backfill_by_cluster[name] > limit + 0.005:
            out.append(
                f"cluster {name}'s budget is now £{limit:,.2f}; the published plan "
                f"used £{prev.backfill_by_cluster[name]:,.2f}"
            )
    return out


def visit_causes(scenario, before: dict | None, after: dict | None) -> list[str]:
    """Causes of one change: `before` is the published visit (None: there was none), `after`
    the new one (None: the school is no longer visited). Both are plan-v1 visit dicts."""
    sc = load_scenario(scenario)
    reviews = {rv.school_urn: rv for rv in sc.reviews}
    if before is None:
        if after is None:
            raise ValueError("a change has a visit before it, after it, or both")
        urn = after["school_urn"]
        return [f"review of {urn} had no visit in the published plan and is staffed now"]
    urn = before["school_urn"]
    if urn not in reviews:
        return [f"school {urn} no longer has a review this cycle"]
    school = sc.school_by_urn.get(urn)
    if school is None:
        return [f"school {urn} is no longer in the cycle"]
    rules = Rules(sc)
    start = dt.date.fromisoformat(before["date"])
    days = rules.cal.visit_days_if_valid(start) or rules.cal.occupied(start)
    causes: list[str] = []
    team = before["team"]
    known = [m for m in team if m["reviewer"] in sc.reviewer_by_id]
    for m in team:
        if m["reviewer"] not in sc.reviewer_by_id:
            causes.append(f"reviewer {m['reviewer']} is no longer in the cycle")
    members = [sc.reviewer_by_id[m["reviewer"]] for m in known]
    roles = [m["role"] for m in known]
    causes += [b.text for b in rules.visit_breaches(reviews[urn], school, start, days, roles, members)]
    if rules.before_freeze(start):
        causes.append(f"{start} is inside the notice period (before {sc.cycle.freeze_before})")
    for r in members:
        if r.max_reviews == 0:
            causes.append(f"{r.id} now takes no reviews (max_reviews 0)")
    if causes:
        return causes
    cycle = cycle_causes(sc)
    if cycle:
        return cycle
    if after is None:
        return [
            "the visit still keeps every rule, but its reviewers were needed to staff "
            "other reviews (higher priority or cheaper overall)"
        ]
    return ["the visit still keeps every rule; it changed to make room for another change"]
