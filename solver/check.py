"""An independent validator: does a plan keep every hard rule, and is its arithmetic right?

It shares the rules' predicates (`rules.py`) and the cost formula (`costs.py`) with the
solver, but none of the model: it reads the plan as data and tests each rule directly.
Each problem is a `Problem`: the rule (a `rules.RULES` key, or one of the contract's
other checks below), the JSON path into the plan, who and which day, and a sentence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from .costs import PlanCost, plan_cost
from .plan import PlanSchema
from .rules import DAYS, FOLLOW_UP, GROUPS, STABILITY, SUPPORT, TEAM, Breach, Rules, Staffing
from .scenario import Review, Scenario, flatten_errors, load_scenario

MONEY_TOLERANCE = 0.01

# What the contract asks of a plan besides its hard rules: its format, a status that has
# a schedule, every review staffed or unstaffed (and every request met or unmet) with
# reasons, and figures recomputed by the formula.
FORMAT = "format"
STATUS = "status"
COVERAGE = "coverage"
ARITHMETIC = "arithmetic"


@dataclass(frozen=True)
class Problem:
    rule: str  # a rules.RULES key ("team", "availability", ...) or FORMAT, STATUS, COVERAGE, ARITHMETIC
    path: str  # where in the plan: "reviews[3].team[1]", "support[0].provider", "costs.backfill"
    who: tuple[str, ...]  # the reviewers, providers (or budget's cluster) concerned, in order
    date: str | None  # the day it happens on (ISO), when there is one
    message: str  # one sentence, naming the rule: what `check` returns

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "path": self.path, "who": list(self.who), "date": self.date, "message": self.message}


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    cost: PlanCost | None = None

    @property
    def errors(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def ok(self) -> bool:
        return not self.problems


def check(scenario, plan: dict) -> list[str]:
    """Every broken rule of `plan` for `scenario`, as sentences (empty: the plan is valid)."""
    return check_report(scenario, plan).errors


def check_problems(scenario, plan: dict) -> list[Problem]:
    """Every broken rule of `plan` for `scenario` (empty: the plan is valid)."""
    return check_report(scenario, plan).problems


def check_report(scenario, plan: dict) -> CheckReport:
    sc = load_scenario(scenario)
    problems = _format(plan) or _status(plan)
    if problems:
        return CheckReport(problems)
    view = _View(sc, plan)
    for check_part in PLAN_CHECKS:
        problems.extend(check_part(view))
    cost = plan_cost(sc, plan)
    problems.extend(_budgets(view, cost))
    problems.extend(_arithmetic(view, cost))
    return CheckReport(problems, cost)


# --- the plan as the checks read it ------------------------------------------------------------


class _View:
    """One plan with the look-ups every check needs, computed once."""

    def __init__(self, sc: Scenario, plan: dict):
        self.sc, self.plan = sc, plan
        self.rules = Rules(sc)
        self.reviews: dict[str, Review] = {rv.school_urn: rv for rv in sc.reviews}
        self.visits: list[dict] = plan["reviews"]
        self.index: dict[str, int] = {}  # school -> its first visit
        for i, v in enumerate(self.visits):
            self.index.setdefault(v["school_urn"], i)
        self.days = [self.rules.occupied_days(v["school_urn"], dt.date.fromisoformat(v["date"])) for v in self.visits]
        self.staffing = [
            Staffing(v["school_urn"], days, [m["reviewer"] for m in v["team"]])
            for v, days in zip(self.visits, self.days)
        ]

    def where(self, i: int) -> str:
        """How messages name a visit: "reviews[3] (123456 on 2026-10-06)"."""
        v = self.visits[i]
        return f"reviews[{i}] ({v['school_urn']} on {v['date']})"

    def problem(self, b: Breach, path: str | None = None, message: str | None = None) -> Problem:
        """A rule's breach placed in the plan: at its visit and member unless `path` says."""
        if path is None:
            i = self.index[b.school] if b.school is not None else None
            visit = f"reviews[{i}]" if i is not None else "reviews"
            path = f"{visit}.team[{b.member}]" if b.member is not None else f"{visit}{_FIELD.get(b.rule.key, '')}"
        date = b.date.isoformat() if b.date else None
        return Problem(b.rule.key, path, b.who, date, message or str(b))


_FIELD = {DAYS.key: ".date", TEAM.key: ".team"}


def _problem(rule: str, path: str, message: str, who: tuple[str, ...] = (), date: str | None = None) -> Problem:
    return Problem(rule, path, who, date, message)


# --- the checks, in the order their problems are listed ----------------------------------------


def _format(plan: dict) -> list[Problem]:
    try:
        PlanSchema().load(plan)
    except ValidationError as exc:
        return [_problem(FORMAT, line.split(": ", 1)[0], f"plan.{line}") for line in flatten_errors(exc.messages)]
    return []


def _status(plan: dict) -> list[Problem]:
    if plan["status"] == "INFEASIBLE":
        return [_problem(STATUS, "status", "status: the plan is INFEASIBLE (it has no valid schedule to check)")]
    return []


def _one_visit_per_school(view: _View) -> Iterator[Problem]:
    for i, v in enumerate(view.visits):
        if view.index[v["school_urn"]] != i:
            yield _problem(
                COVERAGE, f"reviews[{i}].school_urn", f"reviews[{i}]: school {v['school_urn']} is visited twice"
            )


def _staffed_or_unstaffed(view: _View) -> Iterator[Problem]:
    """Every review is staffed or unstaffed (with a reason), never both."""
    unstaffed = {u["school_urn"]: k for k, u in enumerate(view.plan["unstaffed"])}
    for urn in view.reviews:
        k = unstaffed.get(urn)
        if urn in view.index and k is not None:
            yield _problem(COVERAGE, f"unstaffed[{k}]", f"review of {urn}: listed as staffed and as unstaffed")
        elif urn not in view.index and k is None:
            yield _problem(COVERAGE, "unstaffed", f"review of {urn}: neither staffed nor listed as unstaffed")
        elif k is not None and not view.plan["unstaffed"][k]["reasons"]:
            yield _problem(COVERAGE, f"unstaffed[{k}].reasons", f"unstaffed {urn}: no reason given")
    for urn, k in unstaffed.items():
        if urn not in view.reviews:
            yield _problem(COVERAGE, f"unstaffed[{k}]", f"unstaffed {urn}: school has no review in the scenario")


def _stability(view: _View) -> Iterator[Problem]:
    """Rule 9: fixed visits unchanged (a school visited twice: each visit is compared)."""
    rules = view.rules
    for urn, pv in rules.fixed.items():
        kind = "frozen" if urn in rules.frozen else "locked"
        who, date = tuple(m.reviewer for m in pv.team), pv.date.isoformat()
        found = [i for i, v in enumerate(view.visits) if v["school_urn"] == urn]
        if not found:
            message = f"{STABILITY.label}: {kind} visit to {urn} on {pv.date} is missing"
            yield _problem(STABILITY.key, "reviews", message, who, date)
        for i in found:
            v = view.visits[i]
            if not rules.kept_unchanged(pv, v["date"], [(m["reviewer"], m["role"]) for m in v["team"]]):
                message = f"{STABILITY.label}: {kind} visit to {urn} was changed"
                yield _problem(STABILITY.key, f"reviews[{i}]", message, who, date)


def _visits(view: _View) -> Iterator[Problem]:
    """Rules 1, 2, 4 and 5 on each visit by itself, and rule 9's freeze for new visits."""
    for i, v in enumerate(view.visits):
        yield from _visit(view, i, v)


def _visit(view: _View, i: int, v: dict) -> Iterator[Problem]:
    sc, rules, where = view.sc, view.rules, view.where(i)
    urn, start = v["school_urn"], dt.date.fromisoformat(v["date"])
    days = view.days[i]
    if v["days"] != [d.isoformat() for d in days]:
        message = f"{where}: days {v['days']} should be {[d.isoformat() for d in days]}"
        yield _problem(DAYS.key, f"reviews[{i}].days", message)
    school, review = sc.school_by_urn.get(urn), view.reviews.get(urn)
    if school is None or (review is None and urn not in rules.fixed):
        what = "unknown school" if school is None else "school has no review in the scenario"
        yield _problem(FORMAT if school is None else COVERAGE, f"reviews[{i}].school_urn", f"{where}: {what}")
        return
    unknown = [(j, m["reviewer"]) for j, m in enumerate(v["team"]) if m["reviewer"] not in sc.reviewer_by_id]
    for j, rid in unknown:
        yield _problem(FORMAT, f"reviews[{i}].team[{j}].reviewer", f"{where}: unknown reviewer '{rid}'", (rid,))
    if unknown:
        return
    members = [sc.reviewer_by_id[m["reviewer"]] for m in v["team"]]
    roles = [m["role"] for m in v["team"]]
    breaches = rules.visit_breaches(review, school, start, days, roles, members)
    if urn in rules.frozen and urn in rules.fixed:
        yield from _frozen_warning(view, i, breaches)
        return
    if rules.before_freeze(start):
        text = f"rule 9: a new visit starts before freeze_before {sc.cycle.freeze_before}"
        yield _problem(STABILITY.key, f"reviews[{i}].date", f"{where}: {text}", date=v["date"])
    for b in breaches:
        path = f"reviews[{i}].team[{b.member}]" if b.member is not None else f"reviews[{i}]{_FIELD.get(b.rule.key, '')}"
        yield view.problem(b, path, f"{where}: {b}")


def _frozen_warning(view: _View, i: int, breaches: list[Breach]) -> Iterator[Problem]:
    """Rule 9: a frozen visit stands whatever rules 1-5 say now, but the plan must warn of it."""
    warned = {w.get("school_urn") for w in view.plan.get("warnings", [])}
    if breaches and view.visits[i]["school_urn"] not in warned:
        b = breaches[0]
        message = f"{view.where(i)}: frozen visit breaks rules now ({b}) but the plan has no warning for it"
        yield Problem(STABILITY.key, "warnings", b.who, b.date.isoformat() if b.date else None, message)


def _capacity(view: _View) -> Iterator[Problem]:
    """Rule 3."""
    for b in view.rules.capacity_breaches(view.staffing):
        yield view.problem(b)


def _availability(view: _View) -> Iterator[Problem]:
    """Rule 4 across visits (each visit's own days are checked with the visit)."""
    for b in view.rules.clash_breaches(view.staffing, view.rules.frozen & set(view.rules.fixed)):
        yield view.problem(b)


def _reciprocity(view: _View) -> Iterator[Problem]:
    """Rule 6."""
    for b in view.rules.reciprocity_breaches(view.staffing):
        yield view.problem(b)


def _support(view: _View) -> Iterator[Problem]:
    """Rule 8: each match allowed and no request met twice."""
    providers = {p.id: p for p in view.sc.providers}
    requests = {q.id: q for q in view.sc.support_requests}
    met: set[str] = set()
    for i, m in enumerate(view.plan["support"]):
        q, p = requests.get(m["request"]), providers.get(m["provider"])
        if q is None or p is None:
            what = "request" if q is None else "provider"
            yield _problem(FORMAT, f"support[{i}].{what}", f"support[{i}]: unknown {what}")
            continue
        if q.id in met:
            yield _problem(SUPPORT.key, f"support[{i}].request", f"support[{i}]: request {q.id} is met twice", (p.id,))
        met.add(q.id)
        for b in view.rules.match_breaches(q, p, view.staffing):
            yield view.problem(b, f"support[{i}].provider")


def _provider_capacity(view: _View) -> Iterator[Problem]:
    """Rule 8: no provider gives more days than its capacity; placed at the match too many."""
    providers = {p.id: p for p in view.sc.providers}
    requests = {q.id: q for q in view.sc.support_requests}
    given: dict[str, int] = defaultdict(int)
    too_many: dict[str, int] = {}  # provider -> the match that took it over its capacity
    for i, m in enumerate(view.plan["support"]):
        q, p = requests.get(m["request"]), providers.get(m["provider"])
        if q is not None and p is not None:
            given[p.id] += q.days
            if given[p.id] > p.capacity_days:
                too_many.setdefault(p.id, i)
    for pid, i in too_many.items():
        b = view.rules.provider_load_breach(providers[pid], given[pid])
        if b is not None:
            yield view.problem(b, f"support[{i}].provider")


def _met_or_unmet(view: _View) -> Iterator[Problem]:
    """Every support request is met or unmet (with a reason), never both."""
    met = {m["request"] for m in view.plan["support"]}
    unmet = {u["request"]: k for k, u in enumerate(view.plan["unmet_support"])}
    for q in view.sc.support_requests:
        k = unmet.get(q.id)
        if q.id not in met and k is None:
            yield _problem(COVERAGE, "unmet_support", f"support request {q.id}: neither met nor listed as unmet")
        elif q.id in met and k is not None:
            yield _problem(COVERAGE, f"unmet_support[{k}]", f"support request {q.id}: listed as met and as unmet")
        elif k is not None and not view.plan["unmet_support"][k]["reasons"]:
            yield _problem(COVERAGE, f"unmet_support[{k}].reasons", f"unmet support request {q.id}: no reason given")


def _groups(view: _View) -> Iterator[Problem]:
    """Rule 10 (v1.1): each group alone, the groups together, and each visit's team in its group."""
    sc, rules = view.sc, view.rules
    groups = view.plan.get("groups", [])
    if not sc.groups_model:
        if groups:
            yield _problem(GROUPS.key, "groups", f"{GROUPS.label}: groups in the plan of a teams cycle")
        return
    for i, g in enumerate(groups):
        for b in rules.group_breaches(g["schools"]):
            yield view.problem(b, f"groups[{i}]", f"groups[{i}] ({g['id']}): {b}")
    for i, b in rules.grouping_breaches([g["schools"] for g in groups], view.index):
        where = f"groups[{i}] ({groups[i]['id']})" if i >= 0 else view.where(view.index[b.school or ""])
        path = f"groups[{i}]" if i >= 0 else f"reviews[{view.index[b.school or '']}]"
        yield view.problem(b, path, f"{where}: {b}")
    group_of: dict[str, list[str]] = {}
    for g in groups:
        for urn in g["schools"]:
            group_of.setdefault(urn, g["schools"])
    for i, v in enumerate(view.visits):
        schools = group_of.get(v["school_urn"])
        if schools is None or any(m["reviewer"] not in sc.reviewer_by_id for m in v["team"]):
            continue  # no group: said above; an unknown reviewer: the format's
        roles = [m["role"] for m in v["team"]]
        for b in rules.group_team_breaches(schools, view.staffing[i], roles):
            path = f"reviews[{i}].team[{b.member}]" if b.member is not None else f"reviews[{i}].team"
            yield view.problem(b, path, f"{view.where(i)}: {b}")


def _rotation(view: _View) -> Iterator[Problem]:
    """Rule 11 (v1.1): no group repeats a pairing of the rounds it looks back on."""
    if not view.sc.groups_model:
        return
    for i, g in enumerate(view.plan.get("groups", [])):
        for b in view.rules.rotation_breaches(g["schools"]):
            yield view.problem(b, f"groups[{i}]", f"groups[{i}] ({g['id']}): {b}")


def _follow_ups(view: _View) -> Iterator[Problem]:
    """Rule 12 (v1.1): each follow-up alone, their leads' days together, none missing."""
    rules, cal = view.rules, view.rules.cal
    length = view.sc.cycle.follow_up.days if view.sc.cycle.follow_up is not None else 1
    lead_of = {
        v["school_urn"]: next((m["reviewer"] for m in v["team"] if m["role"] == "lead"), None) for v in view.visits
    }
    seen: dict[str, int] = {}
    staffing: list[Staffing] = []
    listed = view.plan.get("follow_ups", [])
    for k, f in enumerate(listed):
        urn, start = f["school_urn"], dt.date.fromisoformat(f["date"])
        where = f"follow_ups[{k}] ({urn} on {f['date']})"
        if urn in seen:
            yield _problem(
                FOLLOW_UP.key, f"follow_ups[{k}]", f"{where}: {FOLLOW_UP.label}: a second follow-up at {urn}"
            )
        seen.setdefault(urn, k)
        i = view.index.get(urn)
        visit_start = dt.date.fromisoformat(view.visits[i]["date"]) if i is not None else None
        for b in rules.follow_up_breaches(visit_start, lead_of.get(urn), urn, f["lead"], start):
            yield view.problem(b, f"follow_ups[{k}]", f"{where}: {b}")
        days = cal.visit_days_if_valid(start, length) or cal.occupied(start, length)
        if f["days"] != [d.isoformat() for d in days]:
            message = f"{where}: days {f['days']} should be {[d.isoformat() for d in days]}"
            yield _problem(FOLLOW_UP.key, f"follow_ups[{k}].days", message, (f["lead"],))
        staffing.append(Staffing(urn, days, [f["lead"]]))
    for k, b in rules.follow_up_clashes(staffing, view.staffing):
        yield view.problem(
            b, f"follow_ups[{k}]", f"follow_ups[{k}] ({listed[k]['school_urn']} on {listed[k]['date']}): {b}"
        )
    for urn, i in view.index.items():
        if rules.wants_follow_up(urn) and urn not in seen and urn not in rules.fixed:
            message = f"{view.where(i)}: {FOLLOW_UP.label}: the review asks for a follow-up and the plan has none"
            yield _problem(FOLLOW_UP.key, f"reviews[{i}]", message, (lead_of[urn] or "",) if lead_of[urn] else ())


def _load(view: _View) -> Iterator[Problem]:
    """Rule 13 (v1.1)."""
    for b in view.rules.load_breaches(view.staffing):
        yield view.problem(b)


PLAN_CHECKS: tuple[Callable[[_View], Iterator[Problem]], ...] = (
    _one_visit_per_school,
    _staffed_or_unstaffed,
    _stability,
    _visits,
    _capacity,
    _availability,
    _reciprocity,
    _support,
    _provider_capacity,
    _met_or_unmet,
    _groups,
    _rotation,
    _follow_ups,
    _load,
)


def _budgets(view: _View, cost: PlanCost) -> Iterator[Problem]:
    """Rule 7, on the spending recomputed from the plan."""
    rules = view.rules
    b = rules.backfill_breach(cost.backfill, MONEY_TOLERANCE)
    if b is not None:
        yield view.problem(b, "costs.backfill")
    for b in rules.cluster_breaches(cost.backfill_by_cluster, MONEY_TOLERANCE):
        yield view.problem(b, f"costs.backfill_by_cluster.{b.who[0]}")
    b = rules.support_budget_breach(cost.support, MONEY_TOLERANCE)
    if b is not None:
        yield view.problem(b, "costs.support")


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= max(MONEY_TOLERANCE, 1e-9 * abs(b))


def _arithmetic(view: _View, cost: PlanCost) -> Iterator[Problem]:
    """The objective, bound, costs and changes the plan states, against the formula's."""
    plan = view.plan
    if not _close(plan["objective"], cost.objective):
        yield _problem(
            ARITHMETIC, "objective", f"objective: plan says {plan['objective']}, the formula gives {cost.objective:.2f}"
        )
    if plan["bound"] is not None and plan["bound"] > cost.objective + MONEY_TOLERANCE:
        yield _problem(ARITHMETIC, "bound", f"bound: {plan['bound']} is above the objective {cost.objective:.2f}")
    for key in ("backfill", "support", "mileage"):
        if not _close(plan["costs"][key], getattr(cost, key)):
            message = f"costs.{key}: plan says {plan['costs'][key]}, recomputed {getattr(cost, key):.2f}"
            yield _problem(ARITHMETIC, f"costs.{key}", message)
    for name, value in cost.backfill_by_cluster.items():
        if not _close(plan["costs"]["backfill_by_cluster"].get(name), value):
            path = f"costs.backfill_by_cluster.{name}"
            yield _problem(ARITHMETIC, path, f"{path}: recomputed {value:.2f}", (name,))
    if plan["changes"] != {"dropped_pairs": cost.dropped_pairs, "date_changes": cost.date_changes}:
        message = (
            f"changes: plan says {plan['changes']}, recomputed dropped_pairs={cost.dropped_pairs} "
            f"date_changes={cost.date_changes}"
        )
        yield _problem(ARITHMETIC, "changes", message)
