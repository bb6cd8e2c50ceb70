"""What the solver needs to know before it models anything: fixed visits, start dates, eligibility.

Everything here follows from the scenario alone (no decisions yet). It is shared by the model,
the dating step and the reasons, so that they agree on who could go where and when.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .calendar import Calendar
from .costs import member_cost, support_cost
from .rules import Rules, Staffing
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


def build_instance(sc: Scenario, only: set[str] | None = None) -> Instance:
    """`only`: the schools whose reviews are open for solving (None: every review not fixed);
    a part of a split cycle (`split.py`) is the same cycle with fewer open reviews."""
    rules = Rules(sc)
    cal, fixed = rules.cal, rules.fixed
    reviews = {rv.school_urn: rv for rv in sc.reviews}
    fixed_days = {urn: rules.occupied_days(urn, pv.date) for urn, pv in fixed.items()}
    staffing = [Staffing(urn, fixed_days[urn], [m.reviewer for m in pv.team]) for urn, pv in fixed.items()]

    # Fixed visits: do they still keep the rules, on their own and together, and what do
    # they use up? A locked one that breaks a rule makes the cycle infeasible; a frozen one
    # is history and is kept with a warning.
    warnings, infeasible = _fixed_visit_breaches(rules, reviews, fixed_days)
    together = rules.double_bookings(staffing) + rules.capacity_breaches(staffing)
    together += rules.away_from_home(staffing, rules.frozen) + rules.reciprocity_breaches(staffing)
    infeasible += [(b.school, f"fixed visits break {b}") for b in together]
    fixed_backfill, cluster_backfill = _fixed_backfill(rules, reviews)
    spent = [rules.backfill_breach(fixed_backfill, 1e-6), *rules.cluster_breaches(cluster_backfill, 1e-6)]
    infeasible += [(None, f"fixed visits alone break {b}") for b in spent if b is not None]

    busy: dict[str, set[dt.date]] = defaultdict(set)  # reviewer -> days on fixed visits
    for v in staffing:
        for rid in v.reviewers:
            busy[rid].update(v.days)
    load = Counter(rid for v in staffing for rid in v.reviewers)
    capacity = {r.id: _cap(rules, r) - load[r.id] for r in sc.reviewers}
    open_reviews = [rv for rv in sc.reviews if rv.school_urn not in fixed and (only is None or rv.school_urn in only)]
    starts = _start_masks(rules, open_reviews, busy)
    free = _free_masks(rules, busy, fixed_days)
    pairs, excluded = _eligible_pairs(rules, open_reviews, capacity, starts, free)
    return Instance(
        sc=sc,
        cal=cal,
        rules=rules,
        fixed=fixed,
        frozen=rules.frozen,
        fixed_days=fixed_days,
        open_reviews=open_reviews,
        starts=starts,
        pairs=pairs,
        excluded=excluded,
        capacity=capacity,
        fixed_backfill=fixed_backfill,
        fixed_cluster_backfill=cluster_backfill,
        support_pairs=_support_pairs(rules),
        infeasible=infeasible,
        warnings=warnings,
    )


def _cap(rules: Rules, r: Reviewer) -> int:
    """Visits this reviewer may make this cycle: max_reviews, and (v1.1) rule 13's max_total."""
    room = rules.load_room(r)
    return r.max_reviews if room is None else min(r.max_reviews, room)


def _fixed_visit_breaches(
    rules: Rules, reviews: dict[str, Review], fixed_days: dict[str, list[dt.date]]
) -> tuple[list[tuple[str, str]], list[tuple[str | None, str]]]:
    """Rules 1, 2, 4 and 5 on each fixed visit alone: warnings, and reasons of infeasibility."""
    sc = rules.sc
    warnings: list[tuple[str, str]] = []
    infeasible: list[tuple[str | None, str]] = []
    for urn, pv in rules.fixed.items():
        kind = "frozen" if urn in rules.frozen else "locked"
        if urn not in reviews:
            message = f"{kind} visit on {pv.date} kept, but the school no longer has a review this cycle"
            warnings.append((urn, message))
        members = [sc.reviewer_by_id[m.reviewer] for m in pv.team]
        roles = [m.role for m in pv.team]
        breaches = rules.visit_breaches(
            reviews.get(urn), sc.school_by_urn[urn], pv.date, fixed_days[urn], roles, members
        )
        if kind == "frozen":
            warnings += [(urn, f"frozen visit on {pv.date} kept: {b}") for b in breaches]
        else:
            infeasible += [(urn, f"locked visit on {pv.date} breaks {b}") for b in breaches]
    return warnings, infeasible


def _fixed_backfill(rules: Rules, reviews: dict[str, Review]) -> tuple[float, dict[str, float]]:
    """The backfill fixed visits spend, in all and by budgeted cluster."""
    sc = rules.sc
    total = 0.0
    by_cluster = dict.fromkeys(sc.cycle.cluster_budgets, 0.0)
    for urn, pv in rules.fixed.items():
        for m in pv.team:
            r = sc.reviewer_by_id[m.reviewer]
            backfill = member_cost(sc, r, reviews.get(urn) or Review(school_urn=urn)).backfill
            total += backfill
            home = rules.home(r)
            if home is not None and home.cluster in by_cluster:
                by_cluster[home.cluster] += backfill
    return total, by_cluster


def _start_masks(rules: Rules, open_reviews: list[Review], busy: dict[str, set[dt.date]]) -> dict[str, int]:
    """The start dates rules 1 and 9 allow each open review, less the days a reviewer from the
    school is away on a fixed visit (rule 4: a head is home while their school is visited)."""
    index = rules.cal.index
    starts: dict[str, int] = {}
    for rv in open_reviews:
        away = {d for r in rules.reviewers_of_school.get(rv.school_urn, []) for d in busy[r.id]}
        ok = []
        for d in rules.allowed_starts(rv):
            if not any(x in away for x in rules.cal.visit_days_if_valid(d) or ()):
                ok.append(index[d])
        starts[rv.school_urn] = _mask(ok)
    return starts


def _free_masks(rules: Rules, busy: dict[str, set[dt.date]], fixed_days: dict[str, list[dt.date]]) -> dict[str, int]:
    """Each reviewer's possible start indices: none of the visit's days is blocked (unavailable,
    on a fixed visit, or their own school's fixed visit)."""
    cal = rules.cal
    vd = rules.sc.cycle.visit_days
    free: dict[str, int] = {}
    for r in rules.sc.reviewers:
        blocked = set(r.unavailable) | busy[r.id]
        if r.school_urn in fixed_days:
            blocked |= set(fixed_days[r.school_urn])
        bad = {cal.index[d] for d in blocked if d in cal.index}
        free[r.id] = _mask(i for i in range(len(cal.school_days)) if not any((i + k) in bad for k in range(vd)))
    return free


def _eligible_pairs(
    rules: Rules, open_reviews: list[Review], capacity: dict[str, int], starts: dict[str, int], free: dict[str, int]
) -> tuple[dict[tuple[str, str], Pair], dict[str, Counter]]:
    """Who may go where (rule 5, capacity left, a common start date), and why the others may not."""
    sc = rules.sc
    pairs: dict[tuple[str, str], Pair] = {}
    excluded: dict[str, Counter] = {}
    for rv in open_reviews:
        school = sc.school_by_urn[rv.school_urn]
        why: Counter = Counter()
        for r in sc.reviewers:
            reasons = rules.conflict_reasons(r, school)
            if reasons:
                why[reasons[0]] += 1
            elif capacity[r.id] <= 0:
                why[NO_CAPACITY] += 1
            elif not (mask := starts[rv.school_urn] & free[r.id]):
                why[NO_COMMON_DAY] += 1
            else:
                pairs[(r.id, rv.school_urn)] = Pair(r, rv, member_cost(sc, r, rv).total, mask)
        excluded[rv.school_urn] = why
    return pairs, excluded


def _support_pairs(rules: Rules) -> dict[tuple[str, str], float]:
    """(request, provider) pairs rule 8 allows whatever the visits, with their cost."""
    sc = rules.sc
    return {
        (q.id, p.id): support_cost(sc, q, p).total
        for q in sc.support_requests
        for p in sc.providers
        if p.capacity_days >= q.days and not rules.provider_reasons(p, q.school_urn)
    }
