"""The nine hard rules of scenario.md, each defined here once.

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

RULES: tuple[Rule, ...] = (DAYS, TEAM, CAPACITY, AVAILABILITY, CONFLICTS, RECIPROCITY, BUDGET, SUPPORT, STABILITY)
RULE_BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}

# Rule 5's reasons, in the order they are tested; the words appear in plans and reports.
OWN_SCHOOL = "own school"
DECLARED_CONFLICT = "declared conflict"
RECENT_REVIEW = "reviewed it recently"
SAME_CLUSTER = "same cluster"
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
        days = cal.visit_days_if_valid(start)
        if days is None:
            if not out:
                out.append(breach(f"a {cal.visit_days}-day visit from {start} does not fit in that week"))
            days = cal.occupied(start)
        if review is not None:
            lo, hi = self.sc.review_window(review)
            if days[0] < lo or days[-1] > hi:
                out.append(breach(f"visit days {days[0]}..{days[-1]} are outside the school's window {lo}..{hi}"))
        closed = sorted(d for d in days if d in school.closed_dates)
        if closed:
            out.append(breach(f"school {school.urn} is closed on {', '.join(map(str, closed))}", closed[0]))
        return out

    def allowed_starts(self, review: Review) -> list[dt.date]:
        """Every start date rules 1 and 9 allow a new visit for this review."""
        lo, hi = self.sc.review_window(review)
        closed = self.sc.school_by_urn[review.school_urn].closed_dates
        out = []
        for d in self.cal.school_days:
            if d < lo or self.before_freeze(d):
                continue
            days = self.cal.visit_days_if_valid(d)
            if days is None or days[-1] > hi or any(x in closed for x in days):
                continue
            out.append(d)
        return out

    # --- rule 2: team -----------------------------------------------------------------

    def team_breaches(self, review: Review | None, school: str, roles: Sequence[str], members: Sequence[Reviewer]):
        """Rule 2 for one visit's team: `roles[i]` is `members[i]`'s role."""
        out = []
        size = self.sc.team_size_of(review) if review is not None else len(members)
        if len(members) != size:
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
        return self.sc.cycle.policy.reciprocal == "forbid"

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
        if school_urn in self.frozen:
            return self.cal.occupied(start)
        return self.cal.visit_days_if_valid(start) or self.cal.occupied(start)
