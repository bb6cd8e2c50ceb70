"""An independent validator: does a plan keep every hard rule, and is its arithmetic right?

It shares the rule predicates (`rules.py`, `calendar.py`) and the cost formula (`costs.py`)
with the solver, but none of the model: it reads the plan as data and tests each rule directly.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from marshmallow import ValidationError

from .calendar import Calendar
from .costs import PlanCost, plan_cost
from .plan import PlanSchema
from .rules import Rules
from .scenario import Review, Scenario, flatten_errors, load_scenario

MONEY_TOLERANCE = 0.01


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    cost: PlanCost | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= max(MONEY_TOLERANCE, 1e-9 * abs(b))


def fixed_visits(sc: Scenario) -> tuple[dict, set[str]]:
    """Previous visits the plan must keep unchanged (rule 9), and which of them are frozen."""
    fb = sc.cycle.freeze_before
    frozen = {pv.school_urn for pv in sc.previous if fb is not None and pv.date < fb}
    fixed = {pv.school_urn: pv for pv in sc.previous if pv.locked or pv.school_urn in frozen}
    return fixed, frozen


def check(scenario, plan: dict) -> list[str]:
    """Every broken rule of `plan` for `scenario`, as sentences (empty: the plan is valid)."""
    return check_report(scenario, plan).errors


def check_report(scenario, plan: dict) -> CheckReport:
    sc = load_scenario(scenario)
    rep = CheckReport()
    err = rep.errors.append
    try:
        PlanSchema().load(plan)
    except ValidationError as exc:
        rep.errors.extend(f"plan.{line}" for line in flatten_errors(exc.messages))
        return rep
    if plan["status"] == "INFEASIBLE":
        err("status: the plan is INFEASIBLE (it has no valid schedule to check)")
        return rep

    cal, rules = Calendar(sc), Rules(sc)
    c = sc.cycle
    reviews = {rv.school_urn: rv for rv in sc.reviews}
    fixed, frozen = fixed_visits(sc)
    visits = plan["reviews"]
    by_school: dict[str, dict] = {}
    for i, v in enumerate(visits):
        if v["school_urn"] in by_school:
            err(f"reviews[{i}]: school {v['school_urn']} is visited twice")
        by_school[v["school_urn"]] = v
    unstaffed = {u["school_urn"]: u for u in plan["unstaffed"]}

    # Every review is staffed or unstaffed (with a reason), never both.
    for urn in reviews:
        if urn in by_school and urn in unstaffed:
            err(f"review of {urn}: listed as staffed and as unstaffed")
        elif urn not in by_school and urn not in unstaffed:
            err(f"review of {urn}: neither staffed nor listed as unstaffed")
        elif urn in unstaffed and not unstaffed[urn]["reasons"]:
            err(f"unstaffed {urn}: no reason given")
    for urn in unstaffed:
        if urn not in reviews:
            err(f"unstaffed {urn}: school has no review in the scenario")

    # Rule 9: fixed visits unchanged.
    for urn, pv in fixed.items():
        v = by_school.get(urn)
        want = [(m.reviewer, m.role) for m in pv.team]
        if v is None:
            err(f"rule 9 (stability): {'frozen' if urn in frozen else 'locked'} visit to {urn} "
                f"on {pv.date} is missing")
        elif v["date"] != pv.date.isoformat() or \
                sorted((m["reviewer"], m["role"]) for m in v["team"]) != sorted(want):
            err(f"rule 9 (stability): {'frozen' if urn in frozen else 'locked'} visit to {urn} "
                f"was changed")

    warned = {w.get("school_urn") for w in plan.get("warnings", [])}
    days_of: dict[str, list[dt.date]] = {}
    for i, v in enumerate(visits):
        urn, start = v["school_urn"], dt.date.fromisoformat(v["date"])
        is_frozen = urn in frozen and urn in fixed
        days = cal.occupied(start) if is_frozen else (cal.visit_days_if_valid(start) or cal.occupied(start))
        days_of[urn] = days
        where = f"reviews[{i}] ({urn} on {start})"
        if v["days"] != [d.isoformat() for d in days]:
            err(f"{where}: days {v['days']} should be {[d.isoformat() for d in days]}")
        school = sc.school_by_urn.get(urn)
        if school is None:
            err(f"{where}: unknown school")
            continue
        review = reviews.get(urn)
        if review is None and urn not in fixed:
            err(f"{where}: school has no review in the scenario")
            continue
        team = v["team"]
        members = [sc.reviewer_by_id.get(m["reviewer"]) for m in team]
        for m, r in zip(team, members):
            if r is None:
                err(f"{where}: unknown reviewer '{m['reviewer']}'")
        if None in members:
            continue
        problems = visit_problems(sc, cal, rules, review, school, start, days, team, members)
        if is_frozen:
            if problems and urn not in warned:
                err(f"{where}: frozen visit breaks rules now ({problems[0]}) but the plan has no warning for it")
            continue
        if c.freeze_before is not None and start < c.freeze_before:
            err(f"{where}: rule 9: a new visit starts before freeze_before {c.freeze_before}")
        for p in problems:
            err(f"{where}: {p}")

    # Rule 3 and rule 4 across visits.
    load: dict[str, list[str]] = defaultdict(list)
    for v in visits:
        for m in v["team"]:
            load[m["reviewer"]].append(v["school_urn"])
    for rid, urns in load.items():
        r = sc.reviewer_by_id.get(rid)
        if r is not None and len(urns) > r.max_reviews:
            err(f"rule 3 (capacity): {rid} is on {len(urns)} visits, max_reviews is {r.max_reviews}")
        seen: dict[dt.date, str] = {}
        for urn in urns:
            for d in days_of.get(urn, []):
                if d in seen:
                    err(f"rule 4 (availability): {rid} is on visits to {seen[d]} and {urn} on {d}")
                seen[d] = urn
        if r is not None and r.school_urn in days_of:
            home_days = set(days_of[r.school_urn])
            for urn in urns:
                if urn in frozen and r.school_urn in frozen:
                    continue  # both visits are history
                clash = sorted(home_days & set(days_of.get(urn, [])))
                if clash:
                    err(f"rule 4 (availability): {rid} visits {urn} on {clash[0]} while their own "
                        f"school {r.school_urn} is being visited")

    # Rule 6: reciprocity.
    directed = {(sc.reviewer_by_id[m["reviewer"]].school_urn, v["school_urn"])
                for v in visits for m in v["team"]
                if m["reviewer"] in sc.reviewer_by_id and sc.reviewer_by_id[m["reviewer"]].school_urn}
    if rules.reciprocity_applies():
        for a, b in sorted(directed):
            if a < b and (b, a) in directed:
                err(f"rule 6 (reciprocity): reviewers of {a} visit {b} and reviewers of {b} visit {a}")

    # Rule 8: support.
    providers = {p.id: p for p in sc.providers}
    requests = {q.id: q for q in sc.support_requests}
    used: dict[str, int] = defaultdict(int)
    met: set[str] = set()
    for i, m in enumerate(plan["support"]):
        q, p = requests.get(m["request"]), providers.get(m["provider"])
        if q is None or p is None:
            err(f"support[{i}]: unknown {'request' if q is None else 'provider'}")
            continue
        if q.id in met:
            err(f"support[{i}]: request {q.id} is met twice")
        met.add(q.id)
        used[p.id] += q.days
        for why in rules.provider_reasons(p, q.school_urn):
            err(f"rule 8 (support): provider {p.id} may not serve {q.school_urn}: {why}")
        if rules.support_conflict_applies() and (p.school_urn, q.school_urn) in directed:
            err(f"rule 8 (support): {p.id} supports {q.school_urn} while a reviewer from its "
                f"school {p.school_urn} visits it")
    for pid, days in used.items():
        if days > providers[pid].capacity_days:
            err(f"rule 8 (support): provider {pid} gives {days} days, capacity is "
                f"{providers[pid].capacity_days}")
    unmet = {u["request"]: u for u in plan["unmet_support"]}
    for q in sc.support_requests:
        if q.id not in met and q.id not in unmet:
            err(f"support request {q.id}: neither met nor listed as unmet")
        elif q.id in met and q.id in unmet:
            err(f"support request {q.id}: listed as met and as unmet")
        elif q.id in unmet and not unmet[q.id]["reasons"]:
            err(f"unmet support request {q.id}: no reason given")

    # Rule 7: budgets, and the arithmetic.
    cost = plan_cost(sc, plan)
    rep.cost = cost
    if c.backfill_budget is not None and cost.backfill > c.backfill_budget + MONEY_TOLERANCE:
        err(f"rule 7 (budget): backfill £{cost.backfill:.2f} exceeds the budget £{c.backfill_budget:.2f}")
    for name, limit in c.cluster_budgets.items():
        if cost.backfill_by_cluster[name] > limit + MONEY_TOLERANCE:
            err(f"rule 7 (budget): backfill of cluster {name} £{cost.backfill_by_cluster[name]:.2f} "
                f"exceeds its budget £{limit:.2f}")
    if c.support_budget is not None and cost.support > c.support_budget + MONEY_TOLERANCE:
        err(f"rule 7 (budget): support £{cost.support:.2f} exceeds the budget £{c.support_budget:.2f}")

    if not _close(plan["objective"], cost.objective):
        err(f"objective: plan says {plan['objective']}, the formula gives {cost.objective:.2f}")
    if plan["bound"] is not None and plan["bound"] > cost.objective + MONEY_TOLERANCE:
        err(f"bound: {plan['bound']} is above the objective {cost.objective:.2f}")
    for key in ("backfill", "support", "mileage"):
        if not _close(plan["costs"][key], getattr(cost, key)):
            err(f"costs.{key}: plan says {plan['costs'][key]}, recomputed {getattr(cost, key):.2f}")
    for name, value in cost.backfill_by_cluster.items():
        if not _close(plan["costs"]["backfill_by_cluster"].get(name), value):
            err(f"costs.backfill_by_cluster.{name}: recomputed {value:.2f}")
    if plan["changes"] != {"dropped_pairs": cost.dropped_pairs, "date_changes": cost.date_changes}:
        err(f"changes: plan says {plan['changes']}, recomputed dropped_pairs={cost.dropped_pairs} "
            f"date_changes={cost.date_changes}")
    return rep


def visit_problems(sc: Scenario, cal: Calendar, rules: Rules, review: Review | None, school,
                    start: dt.date, days: list[dt.date], team: list[dict], members) -> list[str]:
    """Rules 1, 2, 4 (own days) and 5 for one visit, in words."""
    out = [f"rule 1 (days): {p}" for p in cal.day_problems(review, school.closed_dates, start, school.urn)]
    size = sc.team_size_of(review) if review is not None else len(team)
    if len(team) != size:
        out.append(f"rule 2 (team): {len(team)} reviewers, team_size is {size}")
    if len({m["reviewer"] for m in team}) != len(team):
        out.append("rule 2 (team): a reviewer appears twice")
    leads = [r for m, r in zip(team, members) if m["role"] == "lead"]
    if sc.cycle.lead_required:
        if len(leads) != 1:
            out.append(f"rule 2 (team): {len(leads)} leads, exactly one is required")
        elif not leads[0].lead_accredited:
            out.append(f"rule 2 (team): lead {leads[0].id} is not lead-accredited")
    for r in members:
        away = rules.unavailable_days(r, days)
        if away:
            out.append(f"rule 4 (availability): {r.id} is unavailable on {away[0]}")
        for why in rules.conflict_reasons(r, school):
            out.append(f"rule 5 (conflicts): {r.id} may not review {school.urn}: {why}")
    return out

