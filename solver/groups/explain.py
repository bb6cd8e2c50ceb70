"""The plan v1.1 of a groups solve: groups, visits with roles and days, follow-ups, reasons.

Objective and costs are recomputed from the written plan by the formula (`costs.price_plan`),
never taken from the model; the bound is the model's proven bound, to the penny and never
above the plan; OPTIMAL only when the model proved its optimum and the written plan costs no
more than that bound (nothing lost to dating).
"""

from __future__ import annotations

import math
import time

from ..costs import price_plan
from .candidates import Column, Rejections
from .dating import Dated
from .instance import GroupInstance
from .reasons import left_out_reasons


def explain(
    inst: GroupInstance,
    cols: list[Column],
    chosen: list[int],
    leads: dict[str, str],
    dated: Dated,
    rejected: Rejections,
    bound: float | None,
    proven: bool,
    started: float,
    workers: int,
) -> dict:
    sc, cal = inst.sc, inst.cal
    kept = [i for i in chosen if i not in dated.undated and i not in dated.spread]
    undated = {h for i in dated.undated for h in cols[i].schools}
    spread = {h for i in dated.spread for h in cols[i].schools}
    visits, groups = [], []
    for i in kept:
        col = cols[i]
        for h, team in col.teams:
            start = cal.school_days[dated.starts[h]]
            days = cal.visit_days_if_valid(start, inst.hosts[h].length)
            assert days is not None  # starts come from the host's valid starts
            visits.append(
                {
                    "school_urn": h,
                    "date": start.isoformat(),
                    "days": [d.isoformat() for d in days],
                    "team": _team(inst, col, h, list(team), leads),
                }
            )
        first = min(dated.starts[h] for h in col.schools)
        groups.append((first, col.schools))
    visits.sort(key=lambda v: (v["date"], v["school_urn"]))
    groups.sort()
    width = max(2, len(str(len(groups))))
    follow_ups = []
    grouped = {h for i in kept for h in cols[i].schools}
    for h, (lead, fu_start) in sorted(dated.follow_ups.items()):
        if h not in grouped:
            continue
        days = cal.visit_days_if_valid(cal.school_days[fu_start], inst.follow_up_days())
        assert days is not None  # follow-up starts are valid starts
        follow_ups.append(
            {"school_urn": h, "date": days[0].isoformat(), "days": [d.isoformat() for d in days], "lead": lead}
        )
    follow_ups.sort(key=lambda f: (f["date"], f["school_urn"]))
    unstaffed = [
        {
            "school_urn": rv.school_urn,
            "reasons": left_out_reasons(inst, rv.school_urn, cols, rejected, kept, leads, undated, spread, proven),
        }
        for rv in sc.reviews
        if rv.school_urn not in grouped
    ]
    plan: dict = {
        "version": "1.1",
        "status": "FEASIBLE",
        "objective": None,
        "bound": None,
        "groups": [{"id": f"G{n + 1:0{width}d}", "schools": list(schools)} for n, (_, schools) in enumerate(groups)],
        "reviews": visits,
        "follow_ups": follow_ups,
        "unstaffed": unstaffed,
        "support": [],
        "unmet_support": [],
        "costs": {},
        "changes": {},
        "warnings": [{"school_urn": urn, "message": msg} for urn, msg in inst.warnings],
        "solver": {},
    }
    price_plan(sc, plan)
    if bound is not None:
        plan["bound"] = math.floor(min(bound, plan["objective"]) * 100) / 100
    plan["status"] = "OPTIMAL" if proven and bound is not None and plan["objective"] <= bound + 0.01 else "FEASIBLE"
    plan["solver"] = {
        "wall_s": round(time.monotonic() - started, 3),
        "workers": workers,
        "groups_considered": len(cols),
    }
    return plan


def _team(inst: GroupInstance, col: Column, host: str, members: list[str], leads: dict[str, str]) -> list[dict]:
    """The visit's team, lead first: a fixed visit's as it was; the facilitator where one leads;
    the follow-up's lead where the visit has one; else the accredited member with the most
    specialisms in the school's focus (then by id). Without lead_required and none of these, all
    are members."""
    sc = inst.sc
    fixed = inst.fixed.get(host)
    if fixed is not None:
        return [{"reviewer": m.reviewer, "role": m.role} for m in fixed.team]
    lead = leads.get(host) if host in col.facilitated else dict(col.leads).get(host)
    if lead is None and sc.cycle.lead_required:
        focus = set(sc.review_by_urn[host].focus)
        accredited = [rid for rid in members if sc.reviewer_by_id[rid].lead_accredited]
        lead = min(accredited, key=lambda rid: (-len(focus & set(sc.reviewer_by_id[rid].specialisms)), rid))
    rest = [{"reviewer": rid, "role": "member"} for rid in sorted(members) if rid != lead]
    return ([{"reviewer": lead, "role": "lead"}] if lead is not None else []) + rest


def infeasible_groups_plan(inst: GroupInstance, reasons: list[str], started: float, workers: int) -> dict:
    """The plan of a groups cycle whose fixed visits cannot stand: which, and why."""
    return {
        "version": "1.1",
        "status": "INFEASIBLE",
        "objective": None,
        "bound": None,
        "groups": [],
        "reviews": [],
        "follow_ups": [],
        "unstaffed": [
            {"school_urn": rv.school_urn, "reasons": ["the cycle is infeasible: " + "; ".join(reasons)]}
            for rv in inst.sc.reviews
        ],
        "support": [],
        "unmet_support": [],
        "costs": {
            "backfill": 0.0,
            "support": 0.0,
            "mileage": 0.0,
            "backfill_by_cluster": dict.fromkeys(inst.sc.cycle.cluster_budgets, 0.0),
        },
        "changes": {"dropped_pairs": 0, "date_changes": 0},
        "warnings": [{"school_urn": None, "message": r} for r in reasons],
        "solver": {"wall_s": round(time.monotonic() - started, 3), "workers": workers},
    }
