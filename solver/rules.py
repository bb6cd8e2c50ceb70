"""The hard rules of the contract, each defined here once: the nine of scenario.md (v1) and
the four of scenario-v1.1.md (groups, rotation, follow-ups, load).

`RULES` names them (number, key, what each forbids). `Rules(scenario)` holds the predicates:
the instance builder applies them before solving (who may go where, which fixed visits
already break a rule) and the checker applies them to a finished plan, so both give one
answer, in the same words, to "does this break rule N?". The model (`model.py`, `dating.py`)
enforces the rules that join several choices; the checker is what proves it did.

A predicate that finds a rule broken returns `Breach`es: the rule, a sentence, and who,
when and where (which visit, which team member), so that callers can place them precisely.

Adding a hard rule: add it to `RULES` and its predicate to `Rules`; apply the predicate in
`check.py` (and, when it limits who may go where, in `instance.build_instance`, which
feeds the model); describe it in the contract (scenario.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from .calendar import Calendar
from .costs import distance_km
from .scenario import PreviousVisit, Provider, Review, Reviewer, Scenario, School, SupportRequest


@dataclass(frozen=True)
class Rule:
    number: int
    key: str  # stable, short: what a `Problem.rule` holds
    forbids: str

    @property
    def label(self) -> str:
        """How messages name the rule: "rule 4 (availability)"."""
        return f"rule {self.number} ({self.key})"


DAYS = Rule(
    1,
    "days",
    "a visit on a day that is not a school day, running into the next week, outside the "
    "review's earliest/latest, or on a day the visited school is closed",
)
TEAM = Rule(
    2,
    "team",
    "a team of the wrong size, a reviewer twice in one team, or (when lead_required) other "
    "than exactly one lead, who is lead-accredited",
)
CAPACITY = Rule(3, "capacity", "a reviewer on more than max_reviews visits")
AVAILABILITY = Rule(
    4,
    "availability",
    "a reviewer on a visit on a day they are unavailable, on two visits sharing a day, or "
    "away while their own school is being visited",
)
CONFLICTS = Rule(
    5,
    "conflicts",
    "a reviewer reviewing their own school, a school in a declared conflict with them, one "
    "they reviewed within no_repeat_cycles, one of their cluster or trust (under forbid), one "
    "farther than max_travel_km, or (phase_match: require) one whose phase is not theirs",
)
RECIPROCITY = Rule(6, "reciprocity", "under reciprocal: forbid, reviewers of A visiting B while reviewers of B visit A")
BUDGET = Rule(7, "budget", "backfill over the backfill budget or a cluster's budget; support over the support budget")
SUPPORT = Rule(
    8,
    "support",
    "a request met twice, a provider over its capacity_days, serving its own school or a school "
    "it is in conflict with, or (support_conflict: forbid) supporting a school its school's "
    "reviewers visit",
)
STABILITY = Rule(
    9,
    "stability",
    "a locked visit, or one starting before freeze_before, changed or missing; a new visit "
    "starting before freeze_before",
)

# v1.1 (scenario-v1.1.md). Rules 10 and 11 bind the groups model only; 12 binds wherever a
# review asks for a follow-up (the groups model); 13 wherever the cycle sets `load`.
GROUPS = Rule(
    10,
    "groups",
    "(groups model) a group of the wrong size or with a school not under review; a school in two "
    "groups; a school of a group hosting no visit, or a visit to a school in no group; a team other "
    "than one reviewer from each other school of the group, plus a facilitator from the pool as "
    "lead where the cycle's facilitator setting asks for one (and only there)",
)
ROTATION = Rule(
    11,
    "rotation",
    "(groups model) two schools in one group that were grouped together within the last "
    "avoid_rounds rounds of group_history",
)
FOLLOW_UP = Rule(
    12,
    "follow_up",
    "a staffed review with follow_up: true and no follow-up, or with one that is not led by the "
    "visit's lead, starts outside min_weeks..max_weeks after the visit, is not on school days of one "
    "week in the window, falls on a day the school is closed, or on a day its lead is unavailable, "
    "on another visit or follow-up, or at home for their own school's visit; a follow-up no review asks for",
)
LOAD = Rule(
    13,
    "load",
    "a reviewer with a home school whose visits this cycle plus their reviews in the last "
    "load.cycles cycles exceed load.max_total; totals of this cycle's visiting reviewers with a "
    "home school spread wider than load.max_spread",
)

RULES: tuple[Rule, ...] = (
    DAYS,
    TEAM,
    CAPACITY,
    AVAILABILITY,
    CONFLICTS,
    RECIPROCITY,
    BUDGET,
    SUPPORT,
    STABILITY,
    GROUPS,
    ROTATION,
    FOLLOW_UP,
    LOAD,
)
RULE_BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}

# Rule 5's reasons, in the order they are tested; the words appear in plans and reports.
OWN_SCHOOL = "own school"
DECLARED_CONFLICT = "declared conflict"
RECENT_REVIEW = "reviewed it recently"
SAME_CLUSTER = "same cluster"
OTHER_CLUSTER = "other cluster"  # v1.1, same_cluster: require
SAME_TRUST = "same trust"
TOO_FAR = "too far"
WRONG_PHASE = "phase not theirs"


@dataclass(frozen=True)
class Breach:
    """One way a rule is broken. `school` is the visit at fault (by its school's URN) and
    `member` the index of the team member at fault, when there is one."""

    rule: Rule
    text: str
    who: tuple[str, ...] = ()
    date: dt.date | None = None
    school: str | None = None
    member: int | None = None

    def __str__(self) -> str:
        return f"{self.rule.label}: {self.text}"


@dataclass(frozen=True)
class Staffing:
    """A visit as the cross-visit rules see it: where, on which days, by whom (in team order)."""

    school: str
    days: Sequence[dt.date]
    reviewers: Sequence[str]


class Rules:
    """The predicates of one scenario's rules, with the look-ups they need computed once."""

    def __init__(self, scenario: Scenario, calendar: Calendar | None = None):
        self.sc = scenario
        self.cal = calendar or Calendar(scenario)
        self.conflicts: set[tuple[str, str]] = set()
        self.provider_conflicts: set[tuple[str, str]] = set()
        for c in scenario.conflicts:
            if c.reviewer is not None:
                self.conflicts.add((c.reviewer, c.school_urn))
            elif c.provider is not None:
                self.provider_conflicts.add((c.provider, c.school_urn))
        limit = scenario.cycle.policy.no_repeat_cycles
        self.recent: set[tuple[str, str]] = {
            (h.reviewer, h.school_urn) for h in scenario.history if h.cycles_ago <= limit
        }
        # v1.1: pairs of schools grouped together in the rounds rule 11 looks back on, with the
        # most recent round's name; and each reviewer's reviews in rule 13's window of cycles.
        self.paired: dict[frozenset[str], str] = {}
        avoid = scenario.cycle.groups.avoid_rounds if scenario.cycle.groups is not None else 0
        for g in sorted(scenario.group_history, key=lambda g: -g.cycles_ago):
            if g.cycles_ago <= avoid:
                name = g.name or f"{g.cycles_ago} round{'s' if g.cycles_ago > 1 else ''} ago"
                for i, a in enumerate(g.schools):
                    for b in g.schools[i + 1 :]:
                        self.paired[frozenset((a, b))] = name
        load = scenario.cycle.load
        self.past_reviews: dict[str, int] = defaultdict(int)
        if load is not None:
            for h in scenario.history:
                if h.cycles_ago <= load.cycles:
                    self.past_reviews[h.reviewer] += 1

    @cached_property
    def reviewers_of_school(self) -> dict[str, list[Reviewer]]:
        out: dict[str, list[Reviewer]] = defaultdict(list)
        for r in self.sc.reviewers:
            if r.school_urn is not None:
                out[r.school_urn].append(r)
        return out

    def home(self, reviewer: Reviewer) -> School | None:
        return self.sc.school_by_urn.get(reviewer.school_urn) if reviewer.school_urn else None

    def directions(self, visits: Iterable[tuple[str, Iterable[str]]]) -> set[tuple[str, str]]:
        """(home school, visited school) of every reviewer with a home school on these visits,
        given as (school URN, reviewer ids): what rules 6 and 8 look at."""
        by_id = self.sc.reviewer_by_id
        return {
            (home, urn)
            for urn, rids in visits
            for rid in rids
            if rid in by_id and (home := by_id[rid].school_urn) is not None
        }

    # --- rule 1: days -----------------------------------------------------------------

    def day_breaches(self, review: Review | None, school: School, start: dt.date) -> list[Breach]:
        """Every way a visit to `school` starting on `start` breaks rule 1."""
        c, cal = self.sc.cycle, self.cal

        def breach(text: str, day: dt.date = start) -> Breach:
            return Breach(DAYS, text, date=day, school=school.urn)

        out = []
        if start.weekday() >= 5:
            out.append(breach(f"{start} is a {start.strftime('%A')}"))
        elif not (c.start <= start <= c.end):
            out.append(breach(f"{start} is outside the cycle window"))
        elif start in c.excluded_dates:
            out.append(breach(f"{start} is an excluded date (holiday or INSET)"))
        length = self.sc.visit_days_of(review) if review is not None else self.sc.visit_days_at(school.urn)
        days = cal.visit_days_if_valid(start, length)
        if days is None:
            if not out:
                out.append(breach(f"a {length}-day visit from {start} does not fit in that week"))
            days = cal.occupied(start, length)
        if review is not None:
            lo, hi = self.sc.review_window(review)
            if days[0] < lo or days[-1] > hi:
                out.append(breach(f"visit days {days[0]}..{days[-1]} are outside the school's window {lo}..{hi}"))
            if review.offered_dates is not None and start not in review.offered_dates:
                out.append(breach(f"{start} is not one of the dates school {school.urn} offered"))
        closed = sorted(d for d in days if d in school.closed_dates)
        if closed:
            out.append(breach(f"school {school.urn} is closed on {', '.join(map(str, closed))}", closed[0]))
        return out

    def allowed_starts(self, review: Review) -> list[dt.date]:
        """Every start date rules 1 and 9 allow a new visit for this review."""
        lo, hi = self.sc.review_window(review)
        closed = self.sc.school_by_urn[review.school_urn].closed_dates
        length, offered = self.sc.visit_days_of(review), review.offered_dates
        out = []
        for d in self.cal.school_days:
            if d < lo or self.before_freeze(d) or (offered is not None and d not in offered):
                continue
            days = self.cal.visit_days_if_valid(d, length)
            if days is None or days[-1] > hi or any(x in closed for x in days):
                continue
            out.append(d)
        return out

    # --- rule 2: team -----------------------------------------------------------------

    def team_breaches(self, review: Review | None, school: str, roles: Sequence[str], members: Sequence[Reviewer]):
        """Rule 2 for one visit's team: `roles[i]` is `members[i]`'s role."""
        out = []
        size = self.sc.team_size_of(review) if review is not None else len(members)
        # In the groups model a team's size is its group's (rule 10), not team_size.
        if len(members) != size and not self.sc.groups_model:
            out.append(Breach(TEAM, f"{len(members)} reviewers, team_size is {size}", school=school))
        ids = [r.id for r in members]
        twice = next((j for j, rid in enumerate(ids) if rid in ids[:j]), None)
        if twice is not None:
            out.append(Breach(TEAM, "a reviewer appears twice", who=(ids[twice],), school=school, member=twice))
        leads = [i for i, role in enumerate(roles) if role == "lead"]
        if self.sc.cycle.lead_required:
            if len(leads) != 1:
                who = tuple(members[i].id for i in leads)
                out.append(Breach(TEAM, f"{len(leads)} leads, exactly one is required", who=who, school=school))
            elif not members[leads[0]].lead_accredited:
                lead = members[leads[0]].id
                text = f"lead {lead} is not lead-accredited"
                out.append(Breach(TEAM, text, who=(lead,), school=school, member=leads[0]))
        return out

    # --- rule 3: capacity -------------------------------------------------------------

    def capacity_breaches(self, visits: Sequence[Staffing]) -> list[Breach]:
        """Reviewers on more visits than max_reviews; placed at their first visit too many."""
        seen: dict[str, int] = defaultdict(int)
        out = []
        for v in visits:
            for j, rid in enumerate(v.reviewers):
                seen[rid] += 1
                r = self.sc.reviewer_by_id.get(rid)
                if r is not None and seen[rid] == r.max_reviews + 1:
                    total = sum(list(w.reviewers).count(rid) for w in visits)
                    text = f"{rid} is on {total} visits, max_reviews is {r.max_reviews}"
                    out.append(Breach(CAPACITY, text, who=(rid,), school=v.school, member=j))
        return out

    # --- rule 4: availability ---------------------------------------------------------

    @staticmethod
    def unavailable_days(reviewer: Reviewer, days: Iterable[dt.date]) -> list[dt.date]:
        return [d for d in days if d in reviewer.unavailable]

    def away_breach(self, reviewer: Reviewer, school: str, member: int, days: Sequence[dt.date]) -> Breach | None:
        """A team member unavailable on a day of the visit."""
        away = self.unavailable_days(reviewer, days)
        if not away:
            return None
        text = f"{reviewer.id} is unavailable on {away[0]}"
        return Breach(AVAILABILITY, text, who=(reviewer.id,), date=away[0], school=school, member=member)

    def clash_breaches(self, visits: Sequence[Staffing], frozen: Iterable[str] = ()) -> list[Breach]:
        """Rule 4 across visits: a reviewer on two visits sharing a day, or away on a visit
        while their own school is visited (unless both visits are frozen: that is history)."""
        return self.double_bookings(visits) + self.away_from_home(visits, frozen)

    def double_bookings(self, visits: Sequence[Staffing]) -> list[Breach]:
        """A reviewer on two visits that share a day."""
        out = []
        busy: dict[str, dict[dt.date, str]] = defaultdict(dict)  # reviewer -> day -> school
        for v in visits:
            for j, rid in enumerate(v.reviewers):
                for d in v.days:
                    if d in busy[rid]:
                        text = f"{rid} is on visits to {busy[rid][d]} and {v.school} on {d}"
                        out.append(Breach(AVAILABILITY, text, who=(rid,), date=d, school=v.school, member=j))
                    busy[rid][d] = v.school
        return out

    def away_from_home(self, visits: Sequence[Staffing], frozen: Iterable[str] = ()) -> list[Breach]:
        """A reviewer on a visit while their own school is being visited (unless both visits
        are frozen: that is history)."""
        frozen = set(frozen)
        out = []
        days_of = {v.school: set(v.days) for v in visits}
        for v in visits:
            for j, rid in enumerate(v.reviewers):
                r = self.sc.reviewer_by_id.get(rid)
                home = r.school_urn if r is not None else None
                # Visiting one's own school is rule 5's; two frozen visits are history.
                if home is None or home == v.school or home not in days_of or {home, v.school} <= frozen:
                    continue
                clash = sorted(days_of[home] & set(v.days))
                if clash:
                    text = f"{rid} visits {v.school} on {clash[0]} while their own school {home} is being visited"
                    out.append(Breach(AVAILABILITY, text, who=(rid,), date=clash[0], school=v.school, member=j))
        return out

    # --- rule 5: conflicts ------------------------------------------------------------

    def conflict_reasons(self, reviewer: Reviewer, school: School) -> list[str]:
        """Every reason rule 5 forbids this reviewer from reviewing this school (empty: allowed)."""
        pol = self.sc.cycle.policy
        home = self.home(reviewer)
        out = []
        if reviewer.school_urn == school.urn:
            out.append(OWN_SCHOOL)
        if (reviewer.id, school.urn) in self.conflicts:
            out.append(DECLARED_CONFLICT)
        if (reviewer.id, school.urn) in self.recent:
            out.append(RECENT_REVIEW)
        if home is not None and home.urn != school.urn:
            if pol.same_cluster == "forbid" and home.cluster is not None and home.cluster == school.cluster:
                out.append(SAME_CLUSTER)
            if pol.same_cluster == "require" and (home.cluster is None or home.cluster != school.cluster):
                out.append(OTHER_CLUSTER)
            if pol.same_trust == "forbid" and home.trust is not None and home.trust == school.trust:
                out.append(SAME_TRUST)
        if (
            pol.max_travel_km is not None
            and home is not None
            and home.lat is not None
            and school.lat is not None
            and distance_km(home, school) > pol.max_travel_km
        ):
            out.append(TOO_FAR)
        if pol.phase_match == "require" and school.phase is not None and school.phase not in reviewer.phases:
            out.append(WRONG_PHASE)
        return out

    def conflict_breaches(self, reviewer: Reviewer, school: School, member: int) -> list[Breach]:
        text = f"{reviewer.id} may not review {school.urn}"
        return [
            Breach(CONFLICTS, f"{text}: {why}", who=(reviewer.id,), school=school.urn, member=member)
            for why in self.conflict_reasons(reviewer, school)
        ]

    # --- rules 1, 2, 4 and 5 on one visit ---------------------------------------------

    def visit_breaches(
        self,
        review: Review | None,
        school: School,
        start: dt.date,
        days: Sequence[dt.date],
        roles: Sequence[str],
        members: Sequence[Reviewer],
    ) -> list[Breach]:
        """Everything one visit breaks on its own: its days, its team, each member's days
        away and conflicts (in that order: the first is the one an officer reads first)."""
        out = self.day_breaches(review, school, start) + self.team_breaches(review, school.urn, roles, members)
        for j, r in enumerate(members):
            away = self.away_breach(r, school.urn, j, days)
            if away is not None:
                out.append(away)
            out.extend(self.conflict_breaches(r, school, j))
        return out

    # --- rule 6: reciprocity ----------------------------------------------------------

    def reciprocity_applies(self) -> bool:
        # In the groups model the schools of a group visit each other by design.
        return self.sc.cycle.policy.reciprocal == "forbid" and not self.sc.groups_model

    def reciprocity_breaches(self, visits: Sequence[Staffing]) -> list[Breach]:
        """Pairs of schools whose reviewers visit each other, placed at the visit to the later
        school (in URN order) and naming every reviewer on either side."""
        if not self.reciprocity_applies():
            return []
        by_id = self.sc.reviewer_by_id
        seats: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)  # (home, visited) -> seats
        for v in visits:
            for j, rid in enumerate(v.reviewers):
                home = by_id[rid].school_urn if rid in by_id else None
                if home is not None:
                    seats[(home, v.school)].append((v.school, j, rid))
        out = []
        for a, b in sorted(seats):
            if a < b and (b, a) in seats:
                school, member, _ = seats[(a, b)][0]
                who = tuple(rid for _, _, rid in seats[(a, b)] + seats[(b, a)])
                text = f"reviewers of {a} visit {b} and reviewers of {b} visit {a}"
                out.append(Breach(RECIPROCITY, text, who=who, school=school, member=member))
        return out

    # --- rule 7: budgets --------------------------------------------------------------

    def backfill_breach(self, spent: float, tolerance: float) -> Breach | None:
        limit = self.sc.cycle.backfill_budget
        if limit is None or spent <= limit + tolerance:
            return None
        return Breach(BUDGET, f"backfill £{spent:.2f} exceeds the budget £{limit:.2f}")

    def cluster_breaches(self, spent: Mapping[str, float], tolerance: float) -> list[Breach]:
        """Clusters whose heads' backfill is over the cluster's budget; `who` names the cluster."""
        return [
            Breach(BUDGET, f"backfill of cluster {name} £{spent[name]:.2f} exceeds its budget £{limit:.2f}", (name,))
            for name, limit in self.sc.cycle.cluster_budgets.items()
            if spent[name] > limit + tolerance
        ]

    def support_budget_breach(self, spent: float, tolerance: float) -> Breach | None:
        limit = self.sc.cycle.support_budget
        if limit is None or spent <= limit + tolerance:
            return None
        return Breach(BUDGET, f"support £{spent:.2f} exceeds the budget £{limit:.2f}")

    # --- rule 8: support --------------------------------------------------------------

    def provider_reasons(self, provider: Provider, school_urn: str) -> list[str]:
        """Why this provider may not serve this school (empty: it may)."""
        out = []
        if provider.school_urn == school_urn:
            out.append(OWN_SCHOOL)
        if (provider.id, school_urn) in self.provider_conflicts:
            out.append(DECLARED_CONFLICT)
        return out

    def support_conflict_applies(self) -> bool:
        return self.sc.cycle.policy.support_conflict == "forbid"

    def support_conflicts(self, provider: Provider, school_urn: str, directions: set[tuple[str, str]]) -> bool:
        """Whether, under support_conflict: forbid, visits of these `directions` bar this
        provider from supporting this school."""
        return self.support_conflict_applies() and (provider.school_urn, school_urn) in directions

    def match_breaches(self, request: SupportRequest, provider: Provider, visits: Sequence[Staffing]) -> list[Breach]:
        """Why this provider may not meet this request, given the plan's visits."""
        target = request.school_urn
        out = [
            Breach(SUPPORT, f"provider {provider.id} may not serve {target}: {why}", (provider.id,))
            for why in self.provider_reasons(provider, target)
        ]
        visitors = [
            rid
            for v in visits
            if v.school == target
            for rid in v.reviewers
            if rid in self.sc.reviewer_by_id and self.sc.reviewer_by_id[rid].school_urn == provider.school_urn
        ]
        if visitors and self.support_conflict_applies():
            text = f"{provider.id} supports {target} while a reviewer from its school {provider.school_urn} visits it"
            out.append(Breach(SUPPORT, text, (provider.id, *visitors)))
        return out

    @staticmethod
    def provider_load_breach(provider: Provider, days: int) -> Breach | None:
        if days <= provider.capacity_days:
            return None
        text = f"provider {provider.id} gives {days} days, capacity is {provider.capacity_days}"
        return Breach(SUPPORT, text, (provider.id,))

    # --- rule 9: stability ------------------------------------------------------------

    @cached_property
    def frozen(self) -> set[str]:
        """Schools whose previous visit starts before freeze_before: history, kept as it was."""
        fb = self.sc.cycle.freeze_before
        return {pv.school_urn for pv in self.sc.previous if fb is not None and pv.date < fb}

    @cached_property
    def fixed(self) -> dict[str, PreviousVisit]:
        """Previous visits every plan keeps unchanged: the locked ones and the frozen ones."""
        return {pv.school_urn: pv for pv in self.sc.previous if pv.locked or pv.school_urn in self.frozen}

    def before_freeze(self, start: dt.date) -> bool:
        """A new visit may not start on this date."""
        fb = self.sc.cycle.freeze_before
        return fb is not None and start < fb

    @staticmethod
    def kept_unchanged(pv: PreviousVisit, date: str, team: Iterable[tuple[str, str]]) -> bool:
        """Whether a visit (ISO date, (reviewer, role) pairs) is this previous visit unchanged."""
        return date == pv.date.isoformat() and sorted(team) == sorted((m.reviewer, m.role) for m in pv.team)

    def occupied_days(self, school_urn: str, start: dt.date) -> list[dt.date]:
        """The days a visit occupies; a frozen one's are its days whatever rule 1 says now."""
        length = self.sc.visit_days_at(school_urn)
        if school_urn in self.frozen:
            return self.cal.occupied(start, length)
        return self.cal.visit_days_if_valid(start, length) or self.cal.occupied(start, length)

    # --- rule 10: groups (v1.1, the groups model) -------------------------------------------

    @cached_property
    def facilitators(self) -> frozenset[str]:
        """The facilitator pool: reviewers with no home school who may lead a group's reviews."""
        g = self.sc.cycle.groups
        return frozenset(g.facilitators) if g is not None else frozenset()

    def group_breaches(self, schools: Sequence[str]) -> list[Breach]:
        """One group by itself: its size, and its schools all under review (once each)."""
        g = self.sc.cycle.groups
        assert g is not None  # only asked in the groups model
        out = []
        if not g.min_size <= len(schools) <= g.max_size:
            sizes = f"{g.min_size}" if g.min_size == g.max_size else f"{g.min_size} to {g.max_size}"
            out.append(Breach(GROUPS, f"{len(schools)} schools; a group has {sizes}"))
        for j, urn in enumerate(schools):
            if urn in schools[:j]:
                out.append(Breach(GROUPS, f"school {urn} is listed twice", school=urn))
            elif urn not in self.sc.review_by_urn:
                out.append(Breach(GROUPS, f"school {urn} is not under review this cycle", school=urn))
        return out

    def grouping_breaches(self, groups: Sequence[Sequence[str]], visited: Iterable[str]) -> list[tuple[int, Breach]]:
        """Across groups: a school in two groups or hosting no visit (each placed at its group's
        index), and a visit to a school in no group (placed at -1: the visit is at fault)."""
        out: list[tuple[int, Breach]] = []
        first: dict[str, int] = {}
        visited = set(visited)
        for i, schools in enumerate(groups):
            for urn in dict.fromkeys(schools):
                if urn in first:
                    out.append((i, Breach(GROUPS, f"school {urn} is in two groups", school=urn)))
                    continue
                first[urn] = i
                if urn not in visited and urn in self.sc.review_by_urn:
                    out.append((i, Breach(GROUPS, f"school {urn} of the group hosts no visit", school=urn)))
        for urn in sorted(visited - set(first)):
            out.append((-1, Breach(GROUPS, f"school {urn} is visited but is in no group", school=urn)))
        return out

    def group_team_breaches(self, schools: Sequence[str], visit: Staffing, roles: Sequence[str]) -> list[Breach]:
        """The team of a visit to a school of this group: one reviewer from each other school of
        the group; and a facilitator from the pool as lead where the cycle's setting asks
        (required: on every visit; optional: on exactly the visits none of whose members may
        lead, when lead_required; none: never)."""
        g = self.sc.cycle.groups
        assert g is not None  # only asked in the groups model
        by_id = self.sc.reviewer_by_id
        out = []
        seen: dict[str, int] = {}
        facs: list[int] = []

        def breach(text: str, j: int | None = None, who: tuple[str, ...] = ()) -> Breach:
            return Breach(GROUPS, text, who=who, school=visit.school, member=j)

        for j, rid in enumerate(visit.reviewers):
            r = by_id.get(rid)
            if r is None:
                continue
            if rid in self.facilitators:
                facs.append(j)
            elif r.school_urn is None or r.school_urn not in schools or r.school_urn == visit.school:
                out.append(breach(f"{rid} is neither from another school of the group nor a facilitator", j, (rid,)))
            elif r.school_urn in seen:
                out.append(breach(f"a second reviewer from {r.school_urn}, {rid}", j, (rid,)))
            else:
                seen[r.school_urn] = j
        missing = [u for u in schools if u != visit.school and u not in seen]
        if missing:
            out.append(breach(f"no reviewer from {', '.join(missing)} of its group"))
        if facs and g.facilitator == "none":
            out.append(
                breach("a facilitator on the team, but the cycle uses none", facs[0], (visit.reviewers[facs[0]],))
            )
        elif len(facs) > 1:
            out.append(breach("two facilitators on one team", facs[1], (visit.reviewers[facs[1]],)))
        if not facs and g.facilitator == "required":
            out.append(breach("no facilitator; the cycle has one lead every review"))
        if g.facilitator == "optional" and self.sc.cycle.lead_required:
            can_lead = any(by_id[visit.reviewers[j]].lead_accredited for j in seen.values())
            if facs and can_lead:
                j = facs[0]
                out.append(breach("a facilitator, though a member of the team may lead", j, (visit.reviewers[j],)))
            elif not facs and not can_lead and not missing:
                out.append(breach("no member may lead and no facilitator leads"))
        for j in facs[:1]:
            if roles[j] != "lead":
                out.append(breach(f"facilitator {visit.reviewers[j]} is not the lead", j, (visit.reviewers[j],)))
        return out

    # --- rule 11: rotation (v1.1, the groups model) ----------------------------------------

    def rotation_reason(self, a: str, b: str) -> str | None:
        """Why schools a and b may not share a group ("grouped together in 2025"), or None."""
        when = self.paired.get(frozenset((a, b)))
        if when is None:
            return None
        return f"grouped together {when}" if when.endswith(" ago") else f"grouped together in {when}"

    def rotation_breaches(self, schools: Sequence[str]) -> list[Breach]:
        out = []
        for i, a in enumerate(schools):
            for b in schools[i + 1 :]:
                why = self.rotation_reason(a, b)
                if why is not None:
                    out.append(Breach(ROTATION, f"{a} and {b} were {why}", school=b))
        return out

    # --- rule 12: follow-ups (v1.1) ----------------------------------------------------------

    def wants_follow_up(self, school_urn: str) -> bool:
        review = self.sc.review_by_urn.get(school_urn)
        return review is not None and review.follow_up and self.sc.cycle.follow_up is not None

    def follow_up_gap_ok(self, visit_start: dt.date, start: dt.date) -> bool:
        fu = self.sc.cycle.follow_up
        assert fu is not None  # only asked when the cycle has follow-ups
        return 7 * fu.min_weeks <= (start - visit_start).days <= 7 * fu.max_weeks

    def follow_up_starts(self, school_urn: str, visit_start: dt.date) -> list[dt.date]:
        """The start dates rule 12 allows a follow-up at this school, its visit starting then
        (the days alone: who leads it is asked apart)."""
        fu = self.sc.cycle.follow_up
        assert fu is not None  # only asked when the cycle has follow-ups
        closed = self.sc.school_by_urn[school_urn].closed_dates
        out = []
        for d in self.cal.school_days:
            if not self.follow_up_gap_ok(visit_start, d) or self.before_freeze(d):
                continue
            days = self.cal.visit_days_if_valid(d, fu.days)
            if days is not None and not any(x in closed for x in days):
                out.append(d)
        return out

    def follow_up_breaches(
        self, visit_start: dt.date | None, visit_lead: str | None, school_urn: str, lead: str, start: dt.date
    ) -> list[Breach]:
        """One follow-up by itself: its review asks for one and is staffed, the visit's lead leads
        it, its days (gap after the visit, school days of one week, school open) and its lead's."""
        fu = self.sc.cycle.follow_up

        def breach(text: str, day: dt.date | None = start) -> Breach:
            return Breach(FOLLOW_UP, text, who=(lead,), date=day, school=school_urn)

        if fu is None or not self.wants_follow_up(school_urn):
            return [breach(f"the review of {school_urn} asks for no follow-up")]
        if visit_start is None:
            return [breach(f"school {school_urn} has a follow-up but no visit")]
        out = []
        if lead != visit_lead:
            out.append(breach(f"led by {lead}, but {visit_lead} leads the visit"))
        if not self.follow_up_gap_ok(visit_start, start):
            out.append(
                breach(f"{start} is not {fu.min_weeks} to {fu.max_weeks} weeks after the visit on {visit_start}")
            )
        days = self.cal.visit_days_if_valid(start, fu.days)
        if days is None:
            out.append(
                breach(f"a {fu.days}-day follow-up from {start} is not on school days of one week in the window")
            )
            days = self.cal.occupied(start, fu.days)
        elif self.before_freeze(start):
            out.append(breach(f"a new follow-up starts before freeze_before {self.sc.cycle.freeze_before}"))
        closed = sorted(d for d in days if d in self.sc.school_by_urn[school_urn].closed_dates)
        if closed:
            out.append(breach(f"school {school_urn} is closed on {closed[0]}", closed[0]))
        r = self.sc.reviewer_by_id.get(lead)
        away = self.unavailable_days(r, days) if r is not None else []
        if away:
            out.append(breach(f"{lead} is unavailable on {away[0]}", away[0]))
        return out

    def follow_up_clashes(self, follow_ups: Sequence[Staffing], visits: Sequence[Staffing]) -> list[tuple[int, Breach]]:
        """Follow-ups (as Staffing: school, days, [lead]) whose lead is on a visit or another
        follow-up that day, or at home for their own school's visit; with each one's index."""
        out: list[tuple[int, Breach]] = []
        busy: dict[str, dict[dt.date, str]] = defaultdict(dict)  # reviewer -> day -> what
        for v in visits:
            for rid in v.reviewers:
                for d in v.days:
                    busy[rid].setdefault(d, f"a visit to {v.school}")
        visited = {v.school: set(v.days) for v in visits}
        for k, f in enumerate(follow_ups):
            lead = f.reviewers[0]
            r = self.sc.reviewer_by_id.get(lead)
            clash = next((d for d in f.days if d in busy[lead]), None)
            if clash is not None:
                text = f"{lead} leads a follow-up at {f.school} on {clash} and is on {busy[lead][clash]}"
                out.append((k, Breach(FOLLOW_UP, text, who=(lead,), date=clash, school=f.school)))
            home = r.school_urn if r is not None else None
            at_home = sorted(set(f.days) & visited.get(home, set())) if home and home != f.school else []
            if at_home:
                text = (
                    f"{lead} leads a follow-up at {f.school} on {at_home[0]} while their own school {home} is visited"
                )
                out.append((k, Breach(FOLLOW_UP, text, who=(lead,), date=at_home[0], school=f.school)))
            for d in f.days:
                busy[lead].setdefault(d, f"a follow-up at {f.school}")
        return out

    # --- rule 13: load across cycles (v1.1) --------------------------------------------------

    def load_room(self, reviewer: Reviewer) -> int | None:
        """How many visits rule 13's max_total leaves this reviewer this cycle (None: no limit).
        Loads are heads' and deputies': a reviewer with no home school (an adviser, a
        facilitator) is limited by max_reviews alone."""
        load = self.sc.cycle.load
        if load is None or load.max_total is None or reviewer.school_urn is None:
            return None
        return max(0, load.max_total - self.past_reviews[reviewer.id])

    def load_breaches(self, visits: Sequence[Staffing]) -> list[Breach]:
        """Totals over the window (past reviews + this cycle's visits) above max_total, placed at
        the visit too many; and this cycle's visiting reviewers' totals wider than max_spread."""
        load = self.sc.cycle.load
        if load is None:
            return []
        out = []
        count: dict[str, int] = defaultdict(int)
        first: dict[str, tuple[str, int]] = {}
        by_id = self.sc.reviewer_by_id
        for v in visits:
            for j, rid in enumerate(v.reviewers):
                if rid not in by_id or by_id[rid].school_urn is None:
                    continue  # loads are those of reviewers with a home school
                count[rid] += 1
                first.setdefault(rid, (v.school, j))
                total = self.past_reviews[rid] + count[rid]
                if load.max_total is not None and total == load.max_total + 1:
                    text = (
                        f"{rid} would have {self.past_reviews[rid]} reviews in the last {load.cycles} cycles "
                        f"and more than {load.max_total - self.past_reviews[rid]} this cycle; max_total is {load.max_total}"
                    )
                    out.append(Breach(LOAD, text, who=(rid,), school=v.school, member=j))
        if load.max_spread is not None and count:
            totals = {rid: self.past_reviews[rid] + n for rid, n in count.items()}
            hi = max(totals, key=lambda rid: (totals[rid], rid))
            lo = min(totals, key=lambda rid: (totals[rid], rid))
            if totals[hi] - totals[lo] > load.max_spread:
                text = (
                    f"totals over the last {load.cycles} cycles and this one spread from {totals[lo]} ({lo}) "
                    f"to {totals[hi]} ({hi}); max_spread is {load.max_spread}"
                )
                school, j = first[hi]
                out.append(Breach(LOAD, text, who=(hi, lo), school=school, member=j))
        return out
