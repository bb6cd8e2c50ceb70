"""What the groups model knows before it chooses anything: who may visit whom, and when.

Everything follows from the scenario alone and the rules of `rules.py` (one definition each):
the schools taking part (the reviews), each one's visit length and possible start dates
(rule 1), its staff and how many visits each may make (rules 3 and 13), which of its staff may
visit which other school and on which dates (rules 4 and 5), which pairs of schools may share a
group (rule 11 and the two directions of staffing), and the facilitators who may lead where.
Dates are bit masks over `Calendar.school_days` (bit i: a visit may start on school day i).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from ..calendar import Calendar
from ..costs import follow_up_cost, member_cost
from ..rules import Rules
from ..scenario import PreviousVisit, Review, Reviewer, Scenario

NO_COMMON_DATE = "no common free date"


@dataclass(frozen=True)
class Seat:
    """One reviewer who may go on one school's visit: what it costs and when they are free."""

    rid: str
    cost: float  # member cost, pounds (backfill + mileage - expertise + phase mismatch)
    backfill: float
    free: int  # start dates of the visit (the host's own, as a mask) on which they are free
    lead: bool  # lead-accredited
    home_cluster: str | None
    kept: bool  # on this school's previous visit (keeping them saves weights.change)


@dataclass
class Host:
    """A school taking part: it hosts one visit when it is in a group."""

    urn: str
    review: Review
    length: int  # school days
    starts: int  # mask: the start dates rules 1 and 9 allow
    penalty: float  # weights.unstaffed x priority: the price of leaving it out
    staff: list[Reviewer]  # its reviewers with room for a visit
    room: dict[str, int]  # reviewer -> visits they may make (max_reviews, rule 13)
    follow_up: bool

    @property
    def visits_possible(self) -> int:
        return sum(self.room.values())


@dataclass
class GroupInstance:
    sc: Scenario
    rules: Rules
    cal: Calendar
    hosts: dict[str, Host]
    seats: dict[tuple[str, str], list[Seat]]  # (visiting school, host) -> who may go
    partners: dict[str, set[str]]  # schools that may share a group with each school
    why_not: dict[str, dict[str, str]]  # school -> other school -> why they may not share a group
    facilitators: dict[tuple[str, str], Seat]  # (facilitator, host) -> the facilitator at that host
    facilitators_at: dict[str, list[Seat]]  # host -> who of the pool may lead there, cheapest first
    facilitator_room: dict[str, int]
    fixed: dict[str, PreviousVisit]  # hosts whose visit every plan keeps (locked, frozen)
    forced: dict[str, frozenset[str]]  # host -> schools a fixed visit puts in its group
    infeasible: list[tuple[str | None, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    _busy: dict[str, int] = field(default_factory=dict)
    _follow_up_masks: dict[tuple[str, int], int] = field(default_factory=dict)
    _follow_up_costs: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    _led_starts: dict[tuple[str, str], int] = field(default_factory=dict)

    @cached_property
    def spread_binds(self) -> bool:
        """Whether rule 13's max_spread could bind at all: the most any reviewer with a home
        school could total, less the least any visiting one could, is more than max_spread."""
        load = self.sc.cycle.load
        if load is None or load.max_spread is None:
            return False
        past = self.rules.past_reviews
        totals = [(past[rid] + 1, past[rid] + n) for host in self.hosts.values() for rid, n in host.room.items()]
        return bool(totals) and max(t for _, t in totals) - min(t for t, _ in totals) > load.max_spread

    @property
    def sizes(self) -> tuple[int, int]:
        g = self.sc.cycle.groups
        assert g is not None  # a groups instance is built for the groups model only
        return g.min_size, g.max_size

    def free_for(self, reviewer: Reviewer, length: int) -> int:
        """Start dates on which this reviewer is free for every day of a visit this long."""
        busy = self._busy.get(reviewer.id)
        if busy is None:
            busy = self._busy[reviewer.id] = _mask(
                self.cal.index[d] for d in reviewer.unavailable if d in self.cal.index
            )
        bad = 0
        for k in range(length):
            bad |= busy >> k
        return ((1 << len(self.cal.school_days)) - 1) & ~bad

    def follow_up_mask(self, host: str, start: int) -> int:
        """Start dates rule 12 allows a follow-up at this school whose visit starts on day `start`."""
        key = (host, start)
        if key not in self._follow_up_masks:
            day = self.cal.school_days[start]
            self._follow_up_masks[key] = _mask(self.cal.index[d] for d in self.rules.follow_up_starts(host, day))
        return self._follow_up_masks[key]

    def follow_up_cost(self, rid: str, host: str) -> tuple[float, float]:
        """(cost, backfill) of this reviewer leading the follow-up at this school."""
        key = (rid, host)
        if key not in self._follow_up_costs:
            c = follow_up_cost(self.sc, self.sc.reviewer_by_id[rid], self.sc.school_by_urn[host])
            self._follow_up_costs[key] = (c.total, c.backfill)
        return self._follow_up_costs[key]

    def follow_up_days(self) -> int:
        fu = self.sc.cycle.follow_up
        return fu.days if fu is not None else 1

    def starts_with_follow_up(self, host: str, rid: str) -> int:
        """The host's visit starts that leave this lead a date for its follow-up, by itself."""
        key = (host, rid)
        if key not in self._led_starts:
            free = self.free_for(self.sc.reviewer_by_id[rid], self.follow_up_days())
            m, starts = 0, self.hosts[host].starts
            while starts:
                low = starts & -starts
                t = low.bit_length() - 1
                if self.follow_up_mask(host, t) & free:
                    m |= low
                starts ^= low
            self._led_starts[key] = m
        return self._led_starts[key]


def _mask(indices) -> int:
    m = 0
    for i in indices:
        m |= 1 << i
    return m


def build_group_instance(sc: Scenario) -> GroupInstance:
    rules = Rules(sc)
    cal = rules.cal
    inst = GroupInstance(sc, rules, cal, {}, {}, defaultdict(set), defaultdict(dict), {}, defaultdict(list), {}, {}, {})
    inst.fixed = dict(rules.fixed)
    staff_of: dict[str, list[Reviewer]] = defaultdict(list)
    for r in sc.reviewers:
        if r.school_urn is not None and r.id not in rules.facilitators:
            staff_of[r.school_urn].append(r)
    for rv in sc.reviews:
        urn = rv.school_urn
        room = {r.id: _room(rules, r) for r in staff_of[urn]}
        inst.hosts[urn] = Host(
            urn=urn,
            review=rv,
            length=sc.visit_days_of(rv),
            starts=_mask(cal.index[d] for d in rules.allowed_starts(rv)),
            penalty=sc.cycle.weights.unstaffed * rv.priority,
            staff=[r for r in staff_of[urn] if room[r.id] > 0],
            room={rid: n for rid, n in room.items() if n > 0},
            follow_up=rules.wants_follow_up(urn),
        )
    _fixed_visits(inst)
    _seats_and_partners(inst)
    _facilitators(inst)
    return inst


def _room(rules: Rules, r: Reviewer) -> int:
    """Visits this reviewer may make: max_reviews, and rule 13's max_total."""
    room = rules.load_room(r)
    return r.max_reviews if room is None else min(r.max_reviews, room)


def _fixed_visits(inst: GroupInstance) -> None:
    """A locked or frozen visit keeps its date and team: its host's start is that date, and the
    home schools of its members are in the host's group (rule 9)."""
    sc, rules = inst.sc, inst.rules
    for urn, pv in inst.fixed.items():
        host = inst.hosts.get(urn)
        kind = "frozen" if urn in rules.frozen else "locked"
        if host is None:
            inst.infeasible.append((urn, f"{kind} visit on {pv.date} to a school that no longer takes part"))
            continue
        index = inst.cal.index.get(pv.date)
        if index is None:
            inst.infeasible.append((urn, f"{kind} visit on {pv.date}: not a school day of the cycle"))
            continue
        host.starts = 1 << index
        homes = {home for m in pv.team if (home := sc.reviewer_by_id[m.reviewer].school_urn) is not None}
        inst.forced[urn] = frozenset(homes | {urn})
        # Rules 1, 2, 4 and 5 on the visit alone: a frozen one stands with a warning, a locked
        # one that breaks a rule cannot (as in the teams model).
        members = [sc.reviewer_by_id[m.reviewer] for m in pv.team]
        days = rules.occupied_days(urn, pv.date)
        breaches = rules.visit_breaches(
            host.review, sc.school_by_urn[urn], pv.date, days, [m.role for m in pv.team], members
        )
        if kind == "frozen":
            inst.warnings += [(urn, f"frozen visit on {pv.date} kept: {b}") for b in breaches]
        else:
            inst.infeasible += [(urn, f"locked visit on {pv.date} breaks {b}") for b in breaches]


def _seats_and_partners(inst: GroupInstance) -> None:
    """Who from each school may go to each other school (rules 3, 4, 5), and which pairs of
    schools may share a group (both directions staffed, rule 11), with why the others may not."""
    sc, rules = inst.sc, inst.rules
    previous = {(m.reviewer, pv.school_urn) for pv in sc.previous for m in pv.team}
    fixed_member = {(m.reviewer, urn) for urn, pv in inst.fixed.items() for m in pv.team}
    urns = sorted(inst.hosts)
    for h in urns:
        host = inst.hosts[h]
        school = sc.school_by_urn[h]
        for v in urns:
            if v == h:
                continue
            why: Counter = Counter()
            seats = []
            for r in inst.hosts[v].staff:
                if h in inst.fixed and (r.id, h) not in fixed_member:
                    why["not on its fixed visit"] += 1
                    continue
                reasons = [] if h in rules.frozen else rules.conflict_reasons(r, school)
                if reasons:
                    why[reasons[0]] += 1
                    continue
                free = host.starts & inst.free_for(r, host.length)
                if h in rules.frozen:
                    free = host.starts  # a frozen visit stands whatever today's data say
                if not free:
                    why[NO_COMMON_DATE] += 1
                    continue
                c = member_cost(sc, r, host.review)
                home = rules.home(r)
                seats.append(
                    Seat(
                        r.id,
                        c.total,
                        c.backfill,
                        free,
                        r.lead_accredited,
                        home.cluster if home else None,
                        (r.id, h) in previous,
                    )
                )
            if seats:
                inst.seats[(v, h)] = sorted(seats, key=lambda s: (s.cost, s.rid))
            elif not inst.hosts[v].staff:
                inst.why_not[v][h] = "no reviewer with room for a visit"
            else:
                inst.why_not[v][h] = why.most_common(1)[0][0]
    for i, a in enumerate(urns):
        for b in urns[i + 1 :]:
            forced = b in inst.forced.get(a, ()) or a in inst.forced.get(b, ())
            rotation = None if forced else rules.rotation_reason(a, b)
            if rotation is not None:
                inst.why_not[a][b] = inst.why_not[b][a] = rotation
            elif (a, b) not in inst.seats or (b, a) not in inst.seats:
                reason = inst.why_not[a].get(b) or inst.why_not[b].get(a) or NO_COMMON_DATE
                inst.why_not[a][b] = inst.why_not[b][a] = reason
            else:
                inst.why_not[a].pop(b, None)
                inst.why_not[b].pop(a, None)
                inst.partners[a].add(b)
                inst.partners[b].add(a)


def _facilitators(inst: GroupInstance) -> None:
    """Who of the pool may lead at each school (rules 3, 4, 5), at what cost."""
    sc, rules = inst.sc, inst.rules
    previous = {(m.reviewer, pv.school_urn) for pv in sc.previous for m in pv.team}
    for rid in sorted(rules.facilitators):
        r = sc.reviewer_by_id[rid]
        inst.facilitator_room[rid] = _room(rules, r)
        if inst.facilitator_room[rid] <= 0:
            continue
        for h, host in inst.hosts.items():
            if rules.conflict_reasons(r, sc.school_by_urn[h]) and h not in rules.frozen:
                continue
            free = host.starts if h in rules.frozen else host.starts & inst.free_for(r, host.length)
            if free:
                c = member_cost(sc, r, host.review)
                seat = Seat(rid, c.total, c.backfill, free, True, None, (rid, h) in previous)
                inst.facilitators[(rid, h)] = seat
                inst.facilitators_at[h].append(seat)
    for seats in inst.facilitators_at.values():
        seats.sort(key=lambda s: (s.cost, s.rid))


def start_day(inst: GroupInstance, index: int) -> dt.date:
    return inst.cal.school_days[index]
