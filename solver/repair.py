"""Step 3, date and repair: dates for the chosen teams, and cuts for the teams that have none.

`dating.date_teams` dates the teams (rules 1 and 4 across visits). A team that cannot be
dated clashes with others (a shared reviewer, a head who must be home); the smallest set of
teams that still cannot be dated together becomes a no-good, which the pairing model then
rules out before it pairs again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from .dating import components, date_teams
from .halves import Nogood
from .instance import Instance
from .pairing import Teams


@dataclass(frozen=True)
class Dated:
    dates: dict[str, dt.date]  # school URN -> start date
    undated: list[str]  # reviews whose team could not be dated


def dates_for(inst: Instance, teams: Teams, time_limit: float, workers: int, seed: int) -> Dated:
    dates, undated = date_teams(inst, teams, time_limit=time_limit, workers=workers, seed=seed)
    return Dated(dates, undated)


def nogoods_for(inst: Instance, teams: Teams, undated: list[str], workers: int, seed: int) -> list[Nogood]:
    """One no-good per group of clashing teams that holds an undated one."""
    clash = set(undated)
    out = []
    for group in components(inst, teams):
        if group & clash:
            core = clash_core(inst, {u: teams[u] for u in group}, workers, seed)
            out.append([(rid, urn) for urn in core for rid in teams[urn]])
    return out


def clash_core(inst: Instance, group: Teams, workers: int, seed: int) -> list[str]:
    """A small set of these teams that still cannot all be dated (a deletion filter): the
    smaller the set, the more plans the resulting no-good leaves open."""
    core = sorted(group)
    for urn in list(core):
        if len(core) == 1:
            break
        trial = {u: group[u] for u in core if u != urn}
        _, undated = date_teams(inst, trial, time_limit=1.0, workers=workers, seed=seed)
        if undated:
            core.remove(urn)
    return core


def restaff(inst: Instance, teams: Teams, dated: Dated, support: dict[str, str]) -> tuple[Teams, Dated]:
    """The last resort for reviews whose team could not be dated when no time is left to
    pair again: a new team for each, around the plan as it stands (every other visit kept
    with its date). Each is the cheapest team free on one of the review's dates that keeps
    every rule with the rest; a review with none stays undated. Measured: one undated team
    of 198 cost a 600-school plan 100,000 (the unstaffed weight) when the search had run
    out of time under load."""
    sc = inst.sc
    c = sc.cycle
    kept = {urn: rids for urn, rids in teams.items() if urn not in dated.undated}
    dates = dict(dated.dates)
    plan = _PlanState(inst, kept, dates, support)
    still = []
    reviews = {rv.school_urn: rv for rv in inst.open_reviews}
    for urn in sorted(dated.undated, key=lambda u: (-reviews[u].priority, u)):
        found = plan.cheapest_team(reviews[urn], c.lead_required)
        if found is None:
            still.append(urn)
            continue
        rids, start = found
        plan.add(urn, rids, start)
    return plan.teams, Dated(plan.dates, still)


class _PlanState:
    """Who is where on which day, what is spent: enough to add one visit keeping the rules."""

    def __init__(self, inst: Instance, teams: Teams, dates: dict[str, dt.date], support: dict[str, str]):
        self.inst = inst
        sc = inst.sc
        self.teams, self.dates = dict(teams), dict(dates)
        self.away: dict[str, set[dt.date]] = defaultdict(set)  # reviewer -> days on visits
        self.visited: dict[str, set[dt.date]] = defaultdict(set)  # school -> days visited
        self.load: Counter = Counter()
        self.directed: set[tuple[str | None, str]] = set()
        for urn, pv in inst.fixed.items():
            self.visited[urn].update(inst.fixed_days[urn])
            for m in pv.team:
                self.directed.add((sc.reviewer_by_id[m.reviewer].school_urn, urn))
        self.spent: Counter = Counter()  # pence, None: the LA's budget, else a cluster's
        for urn, rids in self.teams.items():
            self._occupy(urn, rids, self.dates[urn])
        provs = {p.id: p for p in sc.providers}
        reqs = {q.id: q for q in sc.support_requests}
        self.barred = set()
        if inst.rules.support_conflict_applies():
            self.barred = {(provs[p].school_urn, reqs[q].school_urn) for q, p in support.items()}
        self.limits: dict[str | None, int] = {}
        if sc.cycle.backfill_budget is not None:
            self.limits[None] = math.floor((sc.cycle.backfill_budget - inst.fixed_backfill) * 100 + 1e-6)
        for name, limit in sc.cycle.cluster_budgets.items():
            self.limits[name] = math.floor((limit - inst.fixed_cluster_backfill[name]) * 100 + 1e-6)

    def _pence(self, rid: str) -> int:
        r = self.inst.sc.reviewer_by_id[rid]
        return round(r.day_rate * self.inst.sc.cycle.visit_days * 100)

    def _cluster(self, rid: str) -> str | None:
        home = self.inst.rules.home(self.inst.sc.reviewer_by_id[rid])
        return home.cluster if home is not None and home.cluster in self.inst.sc.cycle.cluster_budgets else None

    def _occupy(self, urn: str, rids: list[str], start: dt.date) -> None:
        days = self.inst.cal.visit_days_if_valid(start) or [start]
        self.visited[urn].update(days)
        for rid in rids:
            self.away[rid].update(days)
            self.load[rid] += 1
            self.directed.add((self.inst.sc.reviewer_by_id[rid].school_urn, urn))
            self.spent[None] += self._pence(rid)
            if (cl := self._cluster(rid)) is not None:
                self.spent[cl] += self._pence(rid)

    def add(self, urn: str, rids: list[str], start: dt.date) -> None:
        self.teams[urn] = rids
        self.dates[urn] = start
        self._occupy(urn, rids, start)

    def _may_go(self, rid: str, urn: str, days: list[dt.date]) -> bool:
        inst, sc = self.inst, self.inst.sc
        if self.load[rid] >= inst.capacity[rid] or self.away[rid] & set(days):
            return False
        home = sc.reviewer_by_id[rid].school_urn
        if home is not None:
            if self.visited[home] & set(days) or (home, urn) in self.barred:
                return False
            if inst.rules.reciprocity_applies() and (urn, home) in self.directed:
                return False
        return True

    def cheapest_team(self, review, lead_required: bool) -> tuple[list[str], dt.date] | None:
        inst, sc = self.inst, self.inst.sc
        urn = review.school_urn
        size = sc.team_size_of(review)
        heads = [r.id for r in inst.rules.reviewers_of_school.get(urn, [])]
        eligible = sorted(
            (rid for rid, u in inst.pairs if u == urn), key=lambda rid: (inst.pairs[(rid, urn)].cost, rid)
        )
        best: tuple[float, list[str], dt.date] | None = None
        for i in range(len(inst.cal.school_days)):
            if not inst.starts[urn] >> i & 1:
                continue
            start = inst.cal.school_days[i]
            days = inst.cal.visit_days_if_valid(start)
            if days is None or any(self.away[h] & set(days) for h in heads):
                continue  # the school's own heads are away visiting then
            free = [r for r in eligible if inst.pairs[(r, urn)].starts >> i & 1 and self._may_go(r, urn, days)]
            team = self._team(free, size, lead_required)
            if team is not None:
                cost = sum(inst.pairs[(r, urn)].cost for r in team)
                if best is None or cost < best[0]:
                    best = (cost, team, start)
        return None if best is None else (best[1], best[2])

    def _team(self, free: list[str], size: int, lead_required: bool) -> list[str] | None:
        """The cheapest `size` of `free` (cheapest first) with a lead, within the budgets:
        skipping whoever the money left cannot pay for."""
        rev = self.inst.sc.reviewer_by_id
        team: list[str] = []
        spent = Counter(self.spent)
        for rid in free:
            if len(team) == size:
                break
            last_seat = lead_required and len(team) == size - 1
            if last_seat and not rev[rid].lead_accredited and not any(rev[r].lead_accredited for r in team):
                continue  # the last seat is a lead's
            extra: dict[str | None, int] = {None: self._pence(rid)}
            if (cl := self._cluster(rid)) is not None:
                extra[cl] = self._pence(rid)
            if any(k in self.limits and spent[k] + v > self.limits[k] for k, v in extra.items()):
                continue
            team.append(rid)
            for k, v in extra.items():
                spent[k] += v
        if len(team) < size or (lead_required and not any(rev[r].lead_accredited for r in team)):
            return None
        return team
