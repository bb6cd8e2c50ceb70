"""What the solver needs to know before it models anything: fixed visits, start dates, eligibility.

Everything here follows from the scenario alone (no decisions yet). It is shared by the model,
the dating step and the reasons, so that they agree on who could go where and when.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .calendar import Calendar
from .check import fixed_visits, visit_problems  # one reading of rules 1, 2, 4, 5
from .costs import member_cost, support_cost
from .rules import Rules
from .scenario import PreviousVisit, Review, Reviewer, Scenario

NO_CAPACITY = "no capacity left (max_reviews)"
NO_COMMON_DAY = "unavailable on every possible date"


@dataclass
class Pair:
    reviewer: Reviewer
    review: Review
    cost: float  # member cost, pounds
    starts: int  # bitmask over Calendar.school_days: start dates this reviewer could do


@dataclass
class Instance:
    sc: Scenario
    cal: Calendar
    rules: Rules
    fixed: dict[str, PreviousVisit]
    frozen: set[str]
    fixed_days: dict[str, list[dt.date]]
    open_reviews: list[Review]
    starts: dict[str, int]  # review urn -> bitmask of allowed start indices
    pairs: dict[tuple[str, str], Pair]  # (reviewer id, school urn) for open reviews
    excluded: dict[str, Counter] = field(default_factory=dict)  # urn -> reason -> count
    capacity: dict[str, int] = field(default_factory=dict)  # reviewer id -> visits left
    fixed_backfill: float = 0.0
    fixed_cluster_backfill: dict[str, float] = field(default_factory=dict)
    support_pairs: dict[tuple[str, str], float] = field(default_factory=dict)  # (req, prov) -> cost
    infeasible: list[tuple[str | None, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def days_of_start(self, index: int) -> list[dt.date]:
        return self.cal.school_days[index : index + self.sc.cycle.visit_days]

    def start_dates(self, mask: int) -> list[dt.date]:
        return [d for i, d in enumerate(self.cal.school_days) if mask >> i & 1]


def _mask(indices) -> int:
    m = 0
    for i in indices:
        m |= 1 << i
    return m


def build_instance(sc: Scenario) -> Instance:
    cal, rules = Calendar(sc), Rules(sc)
    c = sc.cycle
    fixed, frozen = fixed_visits(sc)
    reviews = {rv.school_urn: rv for rv in sc.reviews}

    # Fixed visits: their days, what they use up, and whether they still keep the rules.
    fixed_days: dict[str, list[dt.date]] = {}
    infeasible: list[tuple[str | None, str]] = []
    warnings: list[tuple[str, str]] = []
    busy: dict[str, dict[dt.date, str]] = defaultdict(dict)  # reviewer -> day -> school
    load: Counter = Counter()
    fixed_backfill = 0.0
    cluster_backfill = {name: 0.0 for name in c.cluster_budgets}
    for urn, pv in fixed.items():
        is_frozen = urn in frozen
        days = cal.occupied(pv.date) if is_frozen else (cal.visit_days_if_valid(pv.date) or cal.occupied(pv.date))
        fixed_days[urn] = days
        members = [sc.reviewer_by_id[m.reviewer] for m in pv.team]
        problems = visit_problems(sc, cal, rules, reviews.get(urn), sc.school_by_urn[urn], pv.date,
                                   days, [{"reviewer": m.reviewer, "role": m.role} for m in pv.team],
                                   members)
        if urn not in reviews:
            warnings.append((urn, f"{'frozen' if is_frozen else 'locked'} visit on {pv.date} kept, "
                                  f"but the school no longer has a review this cycle"))
        if is_frozen:
            for p in problems:
                warnings.append((urn, f"frozen visit on {pv.date} kept: {p}"))
        else:
            for p in problems:
                infeasible.append((urn, f"locked visit on {pv.date} breaks {p}"))
        for m in pv.team:
            load[m.reviewer] += 1
            for d in days:
                if d in busy[m.reviewer]:
                    infeasible.append((urn, f"fixed visits to {busy[m.reviewer][d]} and {urn} both "
                                            f"need {m.reviewer} on {d}"))
                busy[m.reviewer][d] = urn
        for r in members:
            cost = member_cost(sc, r, reviews.get(urn) or Review(school_urn=urn))
            fixed_backfill += cost.backfill
            home = rules.home(r)
            if home is not None and home.cluster in cluster_backfill:
                cluster_backfill[home.cluster] += cost.backfill

    capacity = {}
    for r in sc.reviewers:
        capacity[r.id] = r.max_reviews - load[r.id]
        if capacity[r.id] < 0:
            infeasible.append((None, f"fixed visits put {r.id} on {load[r.id]} visits; "
                                     f"max_reviews is {r.max_reviews}"))
    # Rule 4 among fixed visits: a reviewer away while their own school's fixed visit happens.
    for urn, days in fixed_days.items():
        for r in rules.reviewers_of_school.get(urn, []):
            for d in days:
                other = busy[r.id].get(d)
                if other and other != urn and not (other in frozen and urn in frozen):
                    infeasible.append((urn, f"{r.id} is on the fixed visit to {other} on {d} while "
                                            f"their own school {urn} has its fixed visit"))
    if rules.reciprocity_applies():
        directed = {(sc.reviewer_by_id[m.reviewer].school_urn, urn)
                    for urn, pv in fixed.items() for m in pv.team
                    if sc.reviewer_by_id[m.reviewer].school_urn}
        for a, b in sorted(directed):
            if a < b and (b, a) in directed:
                infeasible.append((b, f"fixed visits go both ways between {a} and {b} (reciprocity)"))
    if c.backfill_budget is not None and fixed_backfill > c.backfill_budget + 1e-6:
        infeasible.append((None, f"fixed visits alone cost £{fixed_backfill:.2f} of backfill; "
                                 f"the budget is £{c.backfill_budget:.2f}"))
    for name, spent in cluster_backfill.items():
        if spent > c.cluster_budgets[name] + 1e-6:
            infeasible.append((None, f"fixed visits alone cost cluster {name} £{spent:.2f} of "
                                     f"backfill; its budget is £{c.cluster_budgets[name]:.2f}"))

    # Open reviews: the start dates rule 1 and rule 9 allow, less the days a reviewer from
    # the school is away on a fixed visit (rule 4: a head is home while their school is visited).
    open_reviews = [rv for rv in sc.reviews if rv.school_urn not in fixed]
    index = cal.index
    starts: dict[str, int] = {}
    for rv in open_reviews:
        away = {d for r in rules.reviewers_of_school.get(rv.school_urn, []) for d in busy[r.id]}
        ok = []
        for d in cal.starts_for(rv, not_before=c.freeze_before):
            if not any(x in away for x in cal.visit_days_if_valid(d)):
                ok.append(index[d])
        starts[rv.school_urn] = _mask(ok)

    # A reviewer's blocked days: unavailable, on a fixed visit, or their school's fixed visit.
    blocked: dict[str, set[dt.date]] = {}
    for r in sc.reviewers:
        b = set(r.unavailable) | set(busy[r.id])
        if r.school_urn in fixed_days:
            b |= set(fixed_days[r.school_urn])
        blocked[r.id] = b
    free_mask: dict[str, int] = {}
    vd = c.visit_days
    for r in sc.reviewers:
        bad = {index[d] for d in blocked[r.id] if d in index}
        # A start index is free when none of the visit's days is blocked.
        free_mask[r.id] = _mask(i for i in range(len(cal.school_days))
                                if not any((i + k) in bad for k in range(vd)))

    pairs: dict[tuple[str, str], Pair] = {}
    excluded: dict[str, Counter] = {}
    for rv in open_reviews:
        school = sc.school_by_urn[rv.school_urn]
        why: Counter = Counter()
        for r in sc.reviewers:
            reasons = rules.conflict_reasons(r, school)
            if reasons:
                why[reasons[0]] += 1
                continue
            if capacity[r.id] <= 0:
                why[NO_CAPACITY] += 1
                continue
            mask = starts[rv.school_urn] & free_mask[r.id]
            if not mask:
                why[NO_COMMON_DAY] += 1
                continue
            pairs[(r.id, rv.school_urn)] = Pair(r, rv, member_cost(sc, r, rv).total, mask)
        excluded[rv.school_urn] = why

    support_pairs = {}
    for q in sc.support_requests:
        for p in sc.providers:
            if p.capacity_days >= q.days and not rules.provider_reasons(p, q.school_urn):
                support_pairs[(q.id, p.id)] = support_cost(sc, q, p).total

    return Instance(sc=sc, cal=cal, rules=rules, fixed=fixed, frozen=frozen, fixed_days=fixed_days,
                    open_reviews=open_reviews, starts=starts, pairs=pairs, excluded=excluded,
                    capacity=capacity, fixed_backfill=fixed_backfill,
                    fixed_cluster_backfill=cluster_backfill, support_pairs=support_pairs,
                    infeasible=infeasible, warnings=warnings)
