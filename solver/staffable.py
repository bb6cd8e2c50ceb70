"""Could any team staff this review, whatever the rest of the plan? The proof behind an
unstaffed review's `"proven": true` when no team can exist.

A team exists when, on one of the review's possible start dates, `team_size` of its eligible
reviewers (rule 5, capacity left, free that day: `instance.py`) are free together, one of
them lead-accredited when a lead is required, none barred by reciprocity with a fixed visit,
and their backfill fits what the fixed visits leave of the budgets (rule 7). The rest of the
plan can only take reviewers, days and money away, so when no such team exists the review
cannot be staffed by any plan. Most reviews are settled by the cheapest team of some date;
the rest by a small CP-SAT model, and an undecided one is never called proven.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

from .instance import Instance
from .scenario import Review


class Staffable:
    """Answers `possible(review)` for one instance (the look-ups are built once)."""

    def __init__(self, inst: Instance):
        self.inst = inst
        sc = inst.sc
        self.by_review: dict[str, list[str]] = defaultdict(list)
        for rid, urn in inst.pairs:
            self.by_review[urn].append(rid)
        # Reciprocity with the fixed visits: a reviewer from B never visits A when a
        # reviewer from A is fixed to visit B (as the pairing model forbids).
        self.fixed_dirs = {
            (sc.reviewer_by_id[m.reviewer].school_urn, urn) for urn, pv in inst.fixed.items() for m in pv.team
        }
        c = sc.cycle
        self.left = None if c.backfill_budget is None else c.backfill_budget - inst.fixed_backfill
        self.cluster_left = {k: v - inst.fixed_cluster_backfill[k] for k, v in c.cluster_budgets.items()}

    def _candidates(self, urn: str) -> list[str]:
        sc, inst = self.inst.sc, self.inst
        out = []
        for rid in self.by_review.get(urn, []):
            home = sc.reviewer_by_id[rid].school_urn
            if inst.rules.reciprocity_applies() and home is not None and (urn, home) in self.fixed_dirs:
                continue
            out.append(rid)
        return out

    def possible(self, review: Review, time_limit: float = 2.0) -> bool | None:
        """True: a team exists; False: proven that none does; None: undecided in the time."""
        inst, sc = self.inst, self.inst.sc
        urn = review.school_urn
        starts = inst.starts.get(urn, 0)
        size = sc.team_size_of(review)
        cands = self._candidates(urn)
        if not starts or len(cands) < size:
            return False
        need_lead = sc.cycle.lead_required
        if need_lead and not any(sc.reviewer_by_id[r].lead_accredited for r in cands):
            return False
        days = [i for i in range(starts.bit_length()) if starts >> i & 1]
        some_day = False
        for i in days:
            free = [r for r in cands if inst.pairs[(r, urn)].starts >> i & 1]
            team = self._cheapest_team(free, size, need_lead)
            if team is None:
                continue
            some_day = True
            if self._fits_budgets(team):
                return True
        if not some_day:
            return False
        return self._exact(review, cands, days, size, need_lead, time_limit)

    def _backfill(self, rid: str) -> float:
        return self.inst.sc.reviewer_by_id[rid].day_rate * self.inst.sc.cycle.visit_days

    def _cluster(self, rid: str) -> str | None:
        home = self.inst.rules.home(self.inst.sc.reviewer_by_id[rid])
        return home.cluster if home is not None and home.cluster in self.cluster_left else None

    def _cheapest_team(self, free: list[str], size: int, need_lead: bool) -> list[str] | None:
        """The team of least backfill among `free` (a lead in it when one is needed)."""
        if len(free) < size:
            return None
        by_cost = sorted(free, key=lambda r: (self._backfill(r), r))
        team = by_cost[:size]
        leads = [r for r in by_cost if self.inst.sc.reviewer_by_id[r].lead_accredited]
        if need_lead and not any(r in leads for r in team):
            if not leads:
                return None
            team = team[: size - 1] + [leads[0]]
        return team

    def _fits_budgets(self, team: list[str]) -> bool:
        spend = sum(self._backfill(r) for r in team)
        if self.left is not None and spend > self.left + 1e-6:
            return False
        for name, left in self.cluster_left.items():
            if sum(self._backfill(r) for r in team if self._cluster(r) == name) > left + 1e-6:
                return False
        return True

    def _exact(
        self, review: Review, cands: list[str], days: list[int], size: int, need_lead: bool, time_limit: float
    ) -> bool | None:
        """The budgets decide: one date and one team, in pence, as the pairing model counts."""
        inst, sc = self.inst, self.inst.sc
        urn = review.school_urn
        m = cp_model.CpModel()
        day = {i: m.new_bool_var(f"d{i}") for i in days}
        m.add_exactly_one(day.values())
        x = {r: m.new_bool_var(f"x[{r}]") for r in cands}
        for r, v in x.items():
            mask = inst.pairs[(r, urn)].starts
            m.add_bool_or([v.Not()] + [d for i, d in day.items() if mask >> i & 1])
        m.add(sum(x.values()) == size)
        if need_lead:
            m.add(sum(v for r, v in x.items() if sc.reviewer_by_id[r].lead_accredited) >= 1)

        def pence(r: str) -> int:
            return round(self._backfill(r) * 100)

        if self.left is not None:
            m.add(sum(pence(r) * v for r, v in x.items()) <= math.floor(self.left * 100 + 1e-6))
        for name, left in self.cluster_left.items():
            members = [(r, v) for r, v in x.items() if self._cluster(r) == name]
            if members:
                m.add(sum(pence(r) * v for r, v in members) <= math.floor(left * 100 + 1e-6))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = 1
        status = solver.solve(m)
        if status == cp_model.INFEASIBLE:
            return False
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return True
        return None
