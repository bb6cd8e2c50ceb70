"""A proven lower bound for the groups model: its LP relaxation, strengthened by valid cuts.

The set partition's LP relaxation groups schools in fractions: a third of each of four trios of
four schools covers all four, though only three can be grouped. Its penalties (100 000 a school
left out, against a few thousand of costs) make such fractions the whole gap. Two families of
Chvátal-Gomory cuts close it, both valid for every plan:

- *group count*: no plan has more groups than the LP's own maximum number of groups, rounded
  down (in each part of the LP's support that shares no school with the rest);
- *covered set*: for any set U of schools, the groups inside U number at most |U| // min_size
  (each group inside U takes min_size of its schools); U is read off the LP answer (the schools
  it covers, each part of its fractional support), a few rounds.

The LP is solved by GLOP; its value, less a margin for floating point, is the bound, and the
cuts (as column lists and right-hand sides) are handed to the CP-SAT model (`model.py`), whose
own relaxation they strengthen in the same way. The LP's reduced costs also say which columns
cannot be in any plan better than a known one (`reduced_cost_keep`).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from .candidates import Column
from .instance import GroupInstance

MARGIN = 0.01  # pounds: the LP's floating-point value, rounded to a bound that holds
ROUNDS = 6


@dataclass
class Cut:
    columns: list[int]
    rhs: int


@dataclass
class LpBound:
    value: float | None  # pounds, proven lower bound of the cycle (None: the LP failed)
    cuts: list[Cut] = field(default_factory=list)
    solution: list[float] = field(default_factory=list)  # x of each column
    reduced_costs: list[float] = field(default_factory=list)  # of each column, pounds


class _Lp:
    """The relaxation: columns and facilitators in [0, 1], each school at most once, a
    facilitator where a column calls for one, the pool's room. (Budgets, the load spread and
    dates are left out: dropping constraints keeps it a relaxation.)"""

    def __init__(self, inst: GroupInstance, cols: list[Column]):
        s = self.s = pywraplp.Solver.CreateSolver("GLOP")
        self.cols = cols
        self.x = [s.NumVar(0, 1, f"x{i}") for i in range(len(cols))]
        self.by_school: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(cols):
            for u in c.schools:
                self.by_school[u].append(i)
        obj = s.Objective()
        self.constant = sum(h.penalty for h in inst.hosts.values())
        for i, c in enumerate(cols):
            obj.SetCoefficient(self.x[i], c.cost - sum(inst.hosts[u].penalty for u in c.schools))
        for urn, idx in self.by_school.items():
            lo = 1 if urn in inst.forced else -s.infinity()
            ct = s.Constraint(lo, 1)
            for i in idx:
                ct.SetCoefficient(self.x[i], 1)
        need: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(cols):
            for h in c.facilitated:
                need[h].append(i)
        by_facilitator: dict[str, list] = defaultdict(list)
        change = inst.sc.cycle.weights.change
        for h, idx in need.items():
            ct = s.Constraint(0, 0)
            for i in idx:
                ct.SetCoefficient(self.x[i], -1)
            for seat in inst.facilitators_at.get(h, []):
                v = s.NumVar(0, 1, "")
                cost = seat.cost - change * seat.kept
                if inst.hosts[h].follow_up:
                    cost += inst.follow_up_cost(seat.rid, h)[0]
                obj.SetCoefficient(v, cost)
                ct.SetCoefficient(v, 1)
                by_facilitator[seat.rid].append(v)
        for k, vs in by_facilitator.items():
            ct = s.Constraint(-s.infinity(), inst.facilitator_room[k])
            for v in vs:
                ct.SetCoefficient(v, 1)
        obj.SetMinimization()
        self.obj = obj

    def add(self, cut: Cut) -> None:
        ct = self.s.Constraint(-self.s.infinity(), cut.rhs)
        for i in cut.columns:
            ct.SetCoefficient(self.x[i], 1)

    def solve(self) -> float | None:
        if self.s.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return self.obj.Value() + self.constant


def lp_bound(inst: GroupInstance, cols: list[Column], deadline: float) -> LpBound:
    """The LP relaxation with group-count and covered-set cuts, while time lasts."""
    if not cols:
        return LpBound(sum(h.penalty for h in inst.hosts.values()) - MARGIN)
    lp = _Lp(inst, cols)
    cuts = _group_count_cuts(inst, cols, lp.by_school)
    for cut in cuts:
        lp.add(cut)
    best = lp.solve()
    if best is None:
        return LpBound(None, cuts)
    lo = inst.sizes[0]
    seen: set[frozenset[str]] = set()
    for _ in range(ROUNDS):
        if time.monotonic() > deadline:
            break
        values = [v.solution_value() for v in lp.x]
        new = _covered_set_cuts(cols, lp.by_school, values, lo, seen)
        if not new:
            break
        for cut in new:
            lp.add(cut)
        cuts += new
        value = lp.solve()
        if value is None:
            break  # numerical trouble: the last solved LP's value stands (its cuts are valid)
        best = max(best, value)
    values = [v.solution_value() for v in lp.x]
    reduced = [v.reduced_cost() for v in lp.x]
    return LpBound(best - MARGIN - 1e-9 * abs(best), cuts, values, reduced)


def _parts(cols: list[Column], indices: list[int]) -> list[list[int]]:
    """The columns, split into parts that share no school with each other."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i in indices:
        first = cols[i].schools[0]
        for u in cols[i].schools[1:]:
            parent[find(u)] = find(first)
    parts: dict[str, list[int]] = defaultdict(list)
    for i in indices:
        parts[find(cols[i].schools[0])].append(i)
    return list(parts.values())


def _group_count_cuts(inst: GroupInstance, cols: list[Column], by_school: dict[str, list[int]]) -> list[Cut]:
    """Per part of the candidates that shares no school with the rest: the groups in it number
    at most the most its LP can hold, rounded down (a cut only where that rounds)."""
    out = []
    for part in _parts(cols, list(range(len(cols)))):
        s = pywraplp.Solver.CreateSolver("GLOP")
        y = {i: s.NumVar(0, 1, "") for i in part}
        schools = {u for i in part for u in cols[i].schools}
        for u in schools:
            ct = s.Constraint(-s.infinity(), 1)
            for i in by_school[u]:
                ct.SetCoefficient(y[i], 1)
        obj = s.Objective()
        for v in y.values():
            obj.SetCoefficient(v, 1)
        obj.SetMaximization()
        if s.Solve() != pywraplp.Solver.OPTIMAL:
            continue
        most = obj.Value()
        if most - math.floor(most + 1e-6) > 1e-6:
            out.append(Cut(part, math.floor(most + 1e-6)))
    return out


def _covered_set_cuts(
    cols: list[Column], by_school: dict[str, list[int]], values: list[float], min_size: int, seen: set
) -> list[Cut]:
    """For U = the schools the LP covers, and each part of its fractional support: the groups
    inside U number at most |U| // min_size. Only cuts the LP answer breaks."""
    fractional = [i for i, v in enumerate(values) if 1e-6 < v < 1 - 1e-6]
    sets = [frozenset(u for i in part for u in cols[i].schools) for part in _parts(cols, fractional)]
    covered = frozenset(u for i, v in enumerate(values) if v > 1e-6 for u in cols[i].schools)
    sets.append(covered)
    out = []
    for U in sets:
        if U in seen:
            continue
        seen.add(U)
        inside = sorted({i for u in U for i in by_school[u] if set(cols[i].schools) <= U})
        if sum(values[i] for i in inside) > len(U) // min_size + 1e-6:
            out.append(Cut(inside, len(U) // min_size))
    return out


def reduced_cost_keep(bound: LpBound, incumbent: float, n: int) -> list[int]:
    """The columns that may be in a plan cheaper than `incumbent`: the others' reduced cost
    alone takes any plan with them to at least the incumbent (LP duality)."""
    if bound.value is None or not bound.reduced_costs:
        return list(range(n))
    slack = incumbent - bound.value + MARGIN
    return [i for i in range(n) if bound.reduced_costs[i] <= slack + 1e-6]
