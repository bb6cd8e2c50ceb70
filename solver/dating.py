"""Dates for fixed teams: rules 1 and 4 across visits, fewest date changes, days spread out.

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


def date_teams(inst: Instance, teams: dict[str, list[str]], *, time_limit: float, workers: int,
               seed: int = 0) -> tuple[dict[str, dt.date], list[str]]:
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
        mask = inst.starts[urn]
        for rid in rids:
            mask &= inst.pairs[(rid, urn)].starts
        options = [i for i in range(n_days) if mask >> i & 1]
        if not options:
            undatable.append(urn)
            continue
        s = start[urn] = m.new_int_var_from_domain(cp_model.Domain.from_values(options), f"start[{urn}]")
        p = present[urn] = m.new_bool_var(f"dated[{urn}]")
        interval[urn] = m.new_optional_fixed_size_interval_var(s, vd, p, f"visit[{urn}]")
        cost.append(DROP * p.Not())
        was = index.get(previous.get(urn))
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

    # Spread visits over the term: an officer cannot attend ten visits on one Tuesday.
    # This only breaks ties; a date change or an undated review always weighs more.
    if start:
        per_day = max(1, -(-len(start) * vd // max(1, n_days)))
        demands = [1] * len(interval)
        load = m.new_int_var(per_day, max(per_day, len(interval)), "peak")
        m.add_cumulative(list(interval.values()), demands, load)
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
    return dates, undatable
