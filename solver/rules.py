"""The hard rules of scenario.md that depend on who goes where, each named once.

Rule 1 (days) lives in `calendar.py`; rules 2-9 about whole plans are enforced by the model
(`model.py`, `dating.py`) and verified by the checker (`check.py`), both of which call the
predicates here so that there is one answer to "where is the conflict rule?".
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cached_property

from .costs import distance_km
from .scenario import Provider, Reviewer, Scenario, School

# Rule 5's reasons, in the order they are tested; the words appear in plans and reports.
OWN_SCHOOL = "own school"
DECLARED_CONFLICT = "declared conflict"
RECENT_REVIEW = "reviewed it recently"
SAME_CLUSTER = "same cluster"
SAME_TRUST = "same trust"
TOO_FAR = "too far"
WRONG_PHASE = "phase not theirs"


class Rules:
    """Pre-computed look-ups for the pairwise rules of one scenario."""

    def __init__(self, scenario: Scenario):
        self.sc = scenario
        self.conflicts: set[tuple[str, str]] = set()
        self.provider_conflicts: set[tuple[str, str]] = set()
        for c in scenario.conflicts:
            if c.reviewer is not None:
                self.conflicts.add((c.reviewer, c.school_urn))
            else:
                self.provider_conflicts.add((c.provider, c.school_urn))
        limit = scenario.cycle.policy.no_repeat_cycles
        self.recent: set[tuple[str, str]] = {
            (h.reviewer, h.school_urn) for h in scenario.history if h.cycles_ago <= limit}

    @cached_property
    def reviewers_of_school(self) -> dict[str, list[Reviewer]]:
        out: dict[str, list[Reviewer]] = defaultdict(list)
        for r in self.sc.reviewers:
            if r.school_urn is not None:
                out[r.school_urn].append(r)
        return out

    def home(self, reviewer: Reviewer) -> School | None:
        return self.sc.school_by_urn.get(reviewer.school_urn) if reviewer.school_urn else None

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
        if pol.max_travel_km is not None and home is not None and home.lat is not None \
                and school.lat is not None and distance_km(home, school) > pol.max_travel_km:
            out.append(TOO_FAR)
        if pol.phase_match == "require" and school.phase is not None \
                and school.phase not in reviewer.phases:
            out.append(WRONG_PHASE)
        return out

    # --- rule 4: availability ---------------------------------------------------------

    @staticmethod
    def unavailable_days(reviewer: Reviewer, days: list[dt.date]) -> list[dt.date]:
        return [d for d in days if d in reviewer.unavailable]

    # --- rule 6: reciprocity ----------------------------------------------------------

    def reciprocity_applies(self) -> bool:
        return self.sc.cycle.policy.reciprocal == "forbid"

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
