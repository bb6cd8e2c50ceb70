"""Step 4, explain: the plan v1 of a search's outcome, with reasons, costs and an honest status.

Teams get their roles and dates; unstaffed reviews and unmet requests get their reasons
(`reasons.py`); the objective and costs are recomputed from the plan by the formula
(`costs.price_plan`), never taken from a model. The status is OPTIMAL only when the
pairing was proven optimal for the cycle, every team was dated, and no date changed; the
bound is the searches' proven bound, to the penny and never above the plan.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field

from .costs import price_plan
from .instance import Instance
from .pairing import Teams
from .reasons import unmet_reasons, unstaffed_reasons
from .staffable import Staffable


@dataclass(frozen=True)
class Outcome:
    """What the search settled on."""

    teams: Teams
    dates: dict[str, dt.date]
    undated: list[str]
    support: dict[str, str]  # request id -> provider id
    bound: float | None  # proven lower bound of the cycle, pounds
    proven: bool  # the teams and support are proven optimal for the cycle (before dating)
    # review -> proven lower bound of every plan that staffs it, pounds (where known)
    staff_floor: dict[str, float] = field(default_factory=dict)
    parts: int = 1  # the first pairing search was split into this many parts (split.py)


def explain(inst: Instance, outcome: Outcome, started: float, workers: int) -> dict:
    # A team that could not be dated is not a visit: its review is unstaffed.
    teams = {urn: rids for urn, rids in outcome.teams.items() if urn not in outcome.undated}
    plan = _write_plan(inst, teams, outcome.dates, outcome.support, set(outcome.undated), started, workers)
    bound = outcome.bound
    if bound is not None:
        bound = math.floor(min(bound, plan["objective"]) * 100) / 100  # to the penny, never above a plan
    plan["bound"] = bound
    date_cost = plan["changes"]["date_changes"] * inst.sc.cycle.weights.date_change
    plan["status"] = "OPTIMAL" if outcome.proven and not outcome.undated and date_cost == 0 else "FEASIBLE"
    if outcome.parts > 1:
        plan["solver"]["parts"] = outcome.parts
    _prove_unstaffed(inst, plan, outcome.staff_floor)
    return plan


def _prove_unstaffed(inst: Instance, plan: dict, staff_floor: dict[str, float]) -> None:
    """Each unstaffed review's `proven`: true when no plan that staffs it costs less than
    this one — because no team can keep the rules for it at all (`staffable.py`), because
    the plan is proven optimal, or because a proven bound of every plan staffing it is at
    least this plan's cost; false when a cheaper plan staffing it may exist (the search ran
    out of time). The last of its reasons says which."""
    if not plan["unstaffed"]:
        return
    staffable = Staffable(inst)
    reviews = {rv.school_urn: rv for rv in inst.sc.reviews}
    for entry in plan["unstaffed"]:
        urn = entry["school_urn"]
        floor = staff_floor.get(urn)
        if staffable.possible(reviews[urn]) is False:
            proven, why = True, "proven: no team can keep the rules for this review, whatever the rest of the plan"
        elif plan["status"] == "OPTIMAL":
            proven, why = True, "proven: the plan is proven optimal, so no cheaper plan staffs this review"
        elif floor is not None and floor >= plan["objective"]:
            proven = True
            why = f"proven: every plan that staffs this review costs at least £{floor:,.2f}, no less than this one"
        else:
            proven = False
            why = (
                "not proven: a team for it exists, and a cheaper plan staffing it may exist; none was found in the time"
            )
        entry["reasons"].append(why)
        entry["proven"] = proven


def _roles(inst: Instance, urn: str, rids: list[str]) -> list[dict]:
    """Lead first: the previous lead when still on the team and accredited, else the accredited
    member with the most specialisms in the review's focus (then by id, for determinism)."""
    sc = inst.sc
    if not sc.cycle.lead_required:
        return [{"reviewer": rid, "role": "member"} for rid in sorted(rids)]
    prev_lead = next(
        (m.reviewer for pv in sc.previous if pv.school_urn == urn for m in pv.team if m.role == "lead"), None
    )
    focus = set(next((rv.focus for rv in sc.reviews if rv.school_urn == urn), ()))
    accredited = [rid for rid in rids if sc.reviewer_by_id[rid].lead_accredited]
    if prev_lead in accredited:
        lead = prev_lead
    else:
        lead = min(accredited, key=lambda rid: (-len(focus & set(sc.reviewer_by_id[rid].specialisms)), rid))
    return [{"reviewer": lead, "role": "lead"}] + [
        {"reviewer": rid, "role": "member"} for rid in sorted(rids) if rid != lead
    ]


def _write_plan(
    inst: Instance,
    teams: Teams,
    dates: dict[str, dt.date],
    support: dict[str, str],
    undated: set[str],
    started: float,
    workers: int,
) -> dict:
    sc = inst.sc
    visits = []
    for urn, pv in inst.fixed.items():
        visits.append(
            {
                "school_urn": urn,
                "date": pv.date.isoformat(),
                "days": [d.isoformat() for d in inst.fixed_days[urn]],
                "team": [{"reviewer": m.reviewer, "role": m.role} for m in pv.team],
            }
        )
    for urn, rids in teams.items():
        start = dates[urn]
        days = inst.cal.visit_days_if_valid(start)
        assert days is not None  # dating picks valid start dates only
        visits.append(
            {
                "school_urn": urn,
                "date": start.isoformat(),
                "days": [d.isoformat() for d in days],
                "team": _roles(inst, urn, rids),
            }
        )
    visits.sort(key=lambda v: (v["date"], v["school_urn"]))
    staffed = {v["school_urn"] for v in visits}
    unstaffed = [
        {"school_urn": rv.school_urn, "reasons": unstaffed_reasons(inst, rv, teams, undated)}
        for rv in sc.reviews
        if rv.school_urn not in staffed
    ]
    met = [{"request": qid, "provider": support[qid]} for qid in sorted(support)]
    unmet = [
        {"request": q.id, "school_urn": q.school_urn, "reasons": unmet_reasons(inst, q, support)}
        for q in sc.support_requests
        if q.id not in support
    ]
    plan = {
        "version": 1,
        "status": "FEASIBLE",
        "objective": None,
        "bound": None,
        "reviews": visits,
        "unstaffed": unstaffed,
        "support": met,
        "unmet_support": unmet,
        "costs": {},
        "changes": {},
        "warnings": [{"school_urn": urn, "message": msg} for urn, msg in inst.warnings],
        "solver": {},
    }
    price_plan(sc, plan)
    plan["solver"] = {"wall_s": round(time.monotonic() - started, 3), "workers": workers}
    return plan


def infeasible_plan(inst: Instance, started: float, workers: int) -> dict:
    """The plan of a cycle whose fixed visits alone break the rules, saying which and why."""
    reasons = [msg for _, msg in inst.infeasible]
    return {
        "version": 1,
        "status": "INFEASIBLE",
        "objective": None,
        "bound": None,
        "reviews": [],
        "unstaffed": [
            # No plan keeps the rules at all: none staffs it (proven, as the reasons say).
            {"school_urn": rv.school_urn, "reasons": ["the cycle is infeasible: " + "; ".join(reasons)], "proven": True}
            for rv in inst.sc.reviews
        ],
        "support": [],
        "unmet_support": [
            {"request": q.id, "school_urn": q.school_urn, "reasons": ["the cycle is infeasible"]}
            for q in inst.sc.support_requests
        ],
        "costs": {
            "backfill": 0.0,
            "support": 0.0,
            "mileage": 0.0,
            "backfill_by_cluster": dict.fromkeys(inst.sc.cycle.cluster_budgets, 0.0),
        },
        "changes": {"dropped_pairs": 0, "date_changes": 0},
        "warnings": [{"school_urn": urn, "message": msg} for urn, msg in inst.infeasible]
        + [{"school_urn": urn, "message": msg} for urn, msg in inst.warnings],
        "solver": {"wall_s": round(time.monotonic() - started, 3), "workers": workers},
    }
