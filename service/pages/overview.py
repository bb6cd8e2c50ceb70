"""What the LA team's pages show of a cycle, assembled from the domain modules.

Read-only: plan versions and their diff come from `service.plans`, the scenario from
`service.scenario`, costs from the solver's own formula (`solver.costs.plan_cost`) and the
causes of changes from `solver.causes`. Templates only lay these dicts out.
"""

from __future__ import annotations

import copy

from solver import load_scenario
from solver.causes import cycle_causes
from solver.costs import plan_cost

from .. import ownership, plans
from ..cycle_state import cycle_state
from ..errors import NotFound
from ..exports import names
from ..extensions import db
from ..models import Cycle, Review, Solve, SupportProvider, SupportRequest, User
from ..nightly import explained_diff
from ..scenario import build_scenario
from ..solves import active_solve, reap_if_dead


def own_cycle(user: User, cycle_id: int) -> Cycle:
    if user.role != "la_admin":  # a headteacher's pages show no cycle
        raise NotFound("cycle not found")
    return ownership.own(user, Cycle, Cycle.id == cycle_id, what="cycle")


def cycles_for(user: User) -> list[dict]:
    cycles = db.session.scalars(ownership.visible(user, Cycle).order_by(Cycle.window_start.desc(), Cycle.id.desc()))
    out = []
    for cycle in cycles:
        versions = plans.versions(cycle)
        out.append(
            {
                "cycle": cycle,
                "state": cycle_state(cycle),
                "versions": len(versions),
                "published": cycle.published_version.number if cycle.published_version else None,
                "reviews": db.session.scalar(db.select(db.func.count(Review.id)).where(Review.cycle_id == cycle.id)),
            }
        )
    return out


def solve_status(cycle: Cycle) -> dict:
    """The running solve (if any) and the last one, after marking a dead runner's solve failed."""
    active = active_solve(cycle)
    if active is not None and reap_if_dead(active):
        active = None
    last = db.session.scalar(
        db.select(Solve).where(Solve.cycle_id == cycle.id).order_by(Solve.created_at.desc()).limit(1)
    )
    return {"active": active, "last": last}


def progress(solve: Solve | None) -> dict:
    if solve is None:
        return {"status": None}
    return {
        "id": solve.id,
        "status": solve.status,
        "objective": solve.objective,
        "bound": solve.bound,
        "elapsed_s": solve.elapsed_s,
        "time_limit_s": solve.time_limit_s,
        "error": solve.error,
    }


def _school(schools, urn):
    s = schools.get(urn)
    return {"urn": urn, "name": s.name if s and s.name else urn, "cluster": s.cluster.name if s and s.cluster else None}


def _team(reviewers, team):
    out = []
    for m in team:
        r = reviewers.get(m["reviewer"])
        out.append(
            {
                "id": m["reviewer"],
                "role": m["role"],
                "name": r.name if r and r.name else m["reviewer"],
                "home": r.school.name if r and r.school else None,
            }
        )
    return out


def budget_bars(scenario: dict, plan: dict) -> list[dict]:
    """Backfill (total and per cluster) and support spend against their budgets.

    The plan's own `costs` give per-cluster backfill only for clusters with a budget; to
    show every cluster the solver's formula is run with each cluster given a budget.
    """
    sc = copy.deepcopy(scenario)
    clusters = sorted({s["cluster"] for s in sc["schools"] if s.get("cluster")})
    budgets = dict(sc["cycle"].get("cluster_budgets") or {})
    sc["cycle"]["cluster_budgets"] = {c: budgets.get(c, 1e12) for c in clusters}
    sc.pop("previous", None)  # spend does not depend on the previous plan; skip its checks
    cost = plan_cost(load_scenario(sc), plan)
    cycle = scenario["cycle"]
    bars = [{"label": "Backfill, all clusters", "used": cost.backfill, "limit": cycle.get("backfill_budget")}]
    bars += [
        {"label": f"Backfill, {c}", "used": cost.backfill_by_cluster.get(c, 0.0), "limit": budgets.get(c)}
        for c in clusters
    ]
    bars.append({"label": "Support", "used": cost.support, "limit": cycle.get("support_budget")})
    scale = max([b["used"] for b in bars] + [b["limit"] or 0 for b in bars] + [1.0])
    for b in bars:
        b["used_frac"] = b["used"] / scale
        b["limit_frac"] = b["limit"] / scale if b["limit"] is not None else None
        b["over"] = b["limit"] is not None and b["used"] > b["limit"] + 0.005
    return bars


def cycle_overview(cycle: Cycle, number: int | None = None) -> dict:
    """Everything the cycle page shows, for version `number` (default: the latest)."""
    versions = plans.versions(cycle)
    published = cycle.published_version
    out = {
        "cycle": cycle,
        "state": cycle_state(cycle),
        "versions": versions,
        "published": published,
        "version": None,
        "solve": solve_status(cycle),
    }
    if not versions:
        return out
    version = plans.get_version(cycle, number)
    plan = version.plan
    schools, reviewers = names(cycle)
    locked = {
        r.school.urn
        for r in db.session.scalars(db.select(Review).where(Review.cycle_id == cycle.id, Review.locked.is_(True)))
    }
    priority = {
        r.school.urn: r.priority for r in db.session.scalars(db.select(Review).where(Review.cycle_id == cycle.id))
    }
    published_visits = {v["school_urn"]: v for v in (published.plan.get("reviews", []) if published else [])}

    scenario = build_scenario(cycle)
    out.update(
        {
            "version": version,
            "plan": plan,
            "is_published": published is not None and published.id == version.id,
            "visits": [
                {
                    "school": _school(schools, v["school_urn"]),
                    "date": v["date"],
                    "days": v.get("days") or [v["date"]],
                    "team": _team(reviewers, v["team"]),
                    "locked": v["school_urn"] in locked,
                    # Locks hold the published visit, so they are offered on the published version only.
                    "lockable": published is not None
                    and published.id == version.id
                    and v["school_urn"] in published_visits,
                }
                for v in sorted(plan.get("reviews", []), key=lambda v: (v["date"], v["school_urn"]))
            ],
            "unstaffed": [
                {
                    "school": _school(schools, u["school_urn"]),
                    "priority": priority.get(u["school_urn"]),
                    "reasons": u.get("reasons", []),
                }
                for u in plan.get("unstaffed", [])
            ],
            "groups": [
                {"id": g["id"], "schools": [_school(schools, u) for u in g["schools"]]} for g in plan.get("groups", [])
            ],
            "follow_ups": [
                {
                    "school": _school(schools, f["school_urn"]),
                    "date": f["date"],
                    "lead": _team(reviewers, [{"reviewer": f["lead"], "role": "lead"}])[0],
                }
                for f in plan.get("follow_ups", [])
            ],
            "support": _support(cycle, plan, schools),
            "warnings": plan.get("warnings", []),
            "bars": budget_bars(scenario, plan),
        }
    )
    out["counts"] = {"staffed": len(out["visits"]), "unstaffed": len(out["unstaffed"])}
    if published is not None and published.id != version.id:
        out["diff"] = _diff_with_causes(scenario, version, published.plan, schools, reviewers)
    return out


def _support(cycle: Cycle, plan: dict, schools) -> dict:
    requests = {
        q.ext_id: q for q in db.session.scalars(db.select(SupportRequest).where(SupportRequest.cycle_id == cycle.id))
    }
    providers = {
        p.ext_id: p for p in db.session.scalars(db.select(SupportProvider).where(SupportProvider.cycle_id == cycle.id))
    }
    met = []
    for m in plan.get("support", []):
        q, p = requests.get(m["request"]), providers.get(m["provider"])
        met.append(
            {
                "request": m["request"],
                "provider": m["provider"],
                "school": _school(schools, q.school.urn) if q else None,
                "provider_school": _school(schools, p.school.urn) if p else None,
                "days": q.days if q else None,
                "focus": q.focus if q else [],
            }
        )
    unmet = []
    for u in plan.get("unmet_support", []):
        q = requests.get(u["request"])
        urn = u.get("school_urn") or (q.school.urn if q else None)
        unmet.append(
            {"request": u["request"], "school": _school(schools, urn) if urn else None, "reasons": u.get("reasons", [])}
        )
    return {"met": met, "unmet": unmet}


def _diff_key(d: dict):
    return (
        [
            (c["school_urn"], c["change"], c["date_before"], c["date_after"], c["joined"], c["left"])
            for c in d.get("changes", [])
        ],
        [(c["request"], c["provider_before"], c["provider_after"]) for c in d.get("support_changes", [])],
    )


def _diff_with_causes(scenario: dict, version, before: dict, schools, reviewers) -> dict:
    """Published → shown, each change with its causes.

    A nightly proposal keeps the causes found the night it was made (today's data may no
    longer explain it: the reviewer who was ill is back); they are used while the published
    plan is still the one it was compared with, i.e. while the changes are the same.
    Otherwise the causes are worked out now, the nightly job's way.
    """
    after = version.plan
    stored = getattr(version, "diff", None)
    if stored and _diff_key(stored) == _diff_key(plans.diff(before, after)):
        result = copy.deepcopy(stored)
        result["stored"] = True
    else:
        result = explained_diff(scenario, before, after)
    result["cycle_causes"] = cycle_causes(load_scenario(scenario))

    def name(rid):
        r = reviewers.get(rid)
        return r.name if r and r.name else rid

    for change in result["changes"]:
        change["school"] = _school(schools, change["school_urn"])
        change["joined_names"] = [name(r) for r in change["joined"]]
        change["left_names"] = [name(r) for r in change["left"]]
    return result
