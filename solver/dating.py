"""Dates for fixed teams: rules 1 and 4 across visits, fewest date changes, visits spread out.

CP-SAT finds dates with the fewest changes and no crowded day; a local pass then moves
visits from crowded weeks to quiet ones.

Given who visits which school, each staffed review gets a start date from the dates every
member is free on; a reviewer's visits, and their own school's visit, never share a day.
A review whose team cannot be dated at all is reported back, with the reviews it clashes
with, so the pairing model can rule that combination out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ortools.sat.python import cp_model

from .instance import Instance

DROP = 1_000_000  # a review left undated is worse than any number of date changes


def components(inst: Instance, teams: dict[str, list[str]]) -> list[set[str]]:
    """Groups of reviews whose dates constrain each other (shared reviewer or home school)."""
    parent = {urn: urn for urn in teams}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a, b):
        parent[find(a)] = find(b)

    by_reviewer: dict[str, list[str]] = defaultdict(list)
    for urn, rids in teams.items():
        for rid in rids:
            by_reviewer[rid].append(urn)
            home = inst.sc.reviewer_by_id[rid].school_urn
            if home in teams:
                union(urn, home)
    for urns in by_reviewer.values():
        for other in urns[1:]:
            union(urns[0], other)
    groups: dict[str, set[str]] = defaultdict(set)
    for urn in teams:
        groups[find(urn)].add(urn)
    return list(groups.values())


def date_teams(
    inst: Instance, teams: dict[str, list[str]], *, time_limit: float, workers: int, seed: int = 0
) -> tuple[dict[str, dt.date], list[str]]:
    """Start dates for the teams' reviews; and the reviews that could not be dated."""
    sc = inst.sc
    n_days = len(inst.cal.school_days)
    vd = sc.cycle.visit_days
    previous = {pv.school_urn: pv.date for pv in sc.previous}
    index = inst.cal.index

    m = cp_model.CpModel()
    start: dict[str, cp_model.IntVar] = {}
    present: dict[str, cp_model.IntVar] = {}
    interval: dict[str, cp_model.IntervalVar] = {}
    cost = []
    undatable = []
    for urn, rids in teams.items():
        mask = _team_mask(inst, urn, rids)
        options = [i for i in range(n_days) if mask >> i & 1]
        if not options:
            undatable.append(urn)
            continue
        s = start[urn] = m.new_int_var_from_domain(cp_model.Domain.from_values(options), f"start[{urn}]")
        p = present[urn] = m.new_bool_var(f"dated[{urn}]")
        interval[urn] = m.new_optional_fixed_size_interval_var(s, vd, p, f"visit[{urn}]")
        cost.append(DROP * p.Not())
        was = index.get(previous[urn]) if urn in previous else None
        if was is not None and was in options:
            same = m.new_bool_var(f"same[{urn}]")
            m.add(s == was).only_enforce_if(same)
            m.add(s != was).only_enforce_if(same.Not())
            cost.append(round(sc.cycle.weights.date_change * 100) * same.Not())
        m.add_hint(s, was if was is not None and was in options else options[len(options) // 2])
        m.add_hint(p, True)

    # Rule 4: a reviewer is on one visit a day, and at home while their own school is visited.
    per_reviewer: dict[str, list[str]] = defaultdict(list)
    for urn, rids in teams.items():
        for rid in rids:
            per_reviewer[rid].append(urn)
    for rid, urns in per_reviewer.items():
        home = sc.reviewer_by_id[rid].school_urn
        group = [interval[u] for u in urns if u in interval]
        if home in interval:
            group.append(interval[home])
        if len(group) > 1:
            m.add_no_overlap(group)

    # No day crowded with visits (an officer cannot attend ten on one Tuesday). This only
    # breaks ties: a date change or an undated review always weighs more.
    if start:
        per_day = max(1, -(-len(start) * vd // max(1, n_days)))
        load = m.new_int_var(per_day, max(per_day, len(interval)), "peak_day")
        m.add_cumulative(list(interval.values()), [1] * len(interval), load)
        cost.append(load)
    m.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, list(teams)
    dates = {}
    for urn, s in start.items():
        if solver.boolean_value(present[urn]):
            dates[urn] = inst.cal.school_days[solver.value(s)]
        else:
            undatable.append(urn)
    return _even_out(inst, teams, dates, previous), undatable


def _team_mask(inst: Instance, urn: str, rids: list[str]) -> int:
    mask = inst.starts[urn]
    for rid in rids:
        mask &= inst.pairs[(rid, urn)].starts
    return mask


def _even_out(
    inst: Instance, teams: dict[str, list[str]], dates: dict[str, dt.date], previous: dict[str, dt.date]
) -> dict[str, dt.date]:
    """Move visits out of crowded weeks into quiet ones, keeping every rule.

    Visits bunched into the first weeks of term leave no room to move anything later, and
    heads away together leave a town's schools short. A visit still on its published date
    stays there; any other may move to a date its whole team is free on, where no member
    has another visit or their own school's visit, and no head of the school is away.
    """
    sc = inst.sc
    days = inst.cal.school_days
    vd = sc.cycle.visit_days
    index = inst.cal.index
    week = [d.isocalendar()[:2] for d in days]
    n_weeks = len(set(week))
    fair = -(-len(dates) // max(1, n_weeks))
    load: dict[tuple, int] = defaultdict(int)
    per_day: dict[int, int] = defaultdict(int)
    for d in dates.values():
        load[week[index[d]]] += 1
        per_day[index[d]] += 1
    # Who is away on which day indices, and whose visits a school's heads make.
    away: dict[str, dict[int, str]] = defaultdict(dict)
    for urn, d in dates.items():
        for rid in teams[urn]:
            for k in range(vd):
                away[rid][index[d] + k] = urn
    home_heads = {urn: [r.id for r in inst.rules.reviewers_of_school.get(urn, [])] for urn in dates}
    visited_on: dict[str, int] = {urn: index[d] for urn, d in dates.items()}

    def fits(urn: str, i: int) -> bool:
        span = range(i, i + vd)
        for rid in teams[urn]:
            if any(away[rid].get(k, urn) != urn for k in span):
                return False
            home = sc.reviewer_by_id[rid].school_urn
            if home in visited_on and home != urn:
                j = visited_on[home]
                if abs(i - j) < vd:
                    return False
        return all(not any(k in away[rid] and away[rid][k] != urn for k in span) for rid in home_heads[urn])

    for _ in range(3):
        moved = False
        for urn in sorted(dates, key=lambda u: (-load[week[index[dates[u]]]], u)):
            i = index[dates[urn]]
            if previous.get(urn) == dates[urn] or load[week[i]] <= fair:
                continue
            mask = _team_mask(inst, urn, teams[urn])
            best = None
            for j in range(len(days)):
                if not mask >> j & 1 or load[week[j]] + 1 >= load[week[i]]:
                    continue
                key = (load[week[j]], per_day[j], j)
                if (best is None or key < best[0]) and fits(urn, j):
                    best = (key, j)
            if best is None:
                continue
            j = best[1]
            for rid in teams[urn]:
                for k in range(vd):
                    away[rid].pop(i + k, None)
                    away[rid][j + k] = urn
            load[week[i]] -= 1
            load[week[j]] += 1
            per_day[i] -= 1
            per_day[j] += 1
            visited_on[urn] = j
            dates[urn] = days[j]
            moved = True
        if not moved:
            break
    return dates
