"""School-to-school support: which provider meets which request (rule 8), solved exactly.

The support half is a multiple knapsack under a budget. Its LP relaxation meets requests in
fractions, and one request's unmet penalty outweighs every other cost, so a CP-SAT search
on it stalls for minutes where a MIP solver's cuts prove it in a fraction of a second:
SCIP, bundled with OR-Tools (it stays silent on stdout; HiGHS is the fallback).

It meets the reviews half in one rule only: under `support_conflict: forbid`, no reviewer
from a provider's school visits a school that provider supports. `solve.py` therefore
solves this half once on its own (a bound for any plan) and once more for the chosen teams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from .instance import Instance


@dataclass
class SupportAnswer:
    matching: dict[str, str] = field(default_factory=dict)  # request id -> provider id
    value: float = 0.0  # the support half's cost of `matching`, in pounds
    bound: float = 0.0  # a proven lower bound of that cost, in pounds
    proven: bool = True  # value == bound, proven


def cost_of(inst: Instance, matching: dict[str, str]) -> float:
    """The support half's cost: met requests at their cost, unmet ones at their penalty."""
    w = inst.sc.cycle.weights
    return sum(inst.support_pairs[(q, p)] for q, p in matching.items()) + sum(
        w.unmet_support * q.priority for q in inst.sc.support_requests if q.id not in matching
    )


def forbidden_by(inst: Instance, teams: dict[str, list[str]]) -> frozenset:
    """The (request, provider) pairs that these teams and the fixed visits rule out."""
    sc = inst.sc
    if not inst.rules.support_conflict_applies():
        return frozenset()
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    directed = {(sc.reviewer_by_id[rid].school_urn, urn) for urn, rids in teams.items() for rid in rids}
    directed |= {(sc.reviewer_by_id[m.reviewer].school_urn, urn) for urn, pv in inst.fixed.items() for m in pv.team}
    return frozenset(k for k in inst.support_pairs if (provs[k[1]].school_urn, reqs[k[0]].school_urn) in directed)


def best_support(inst: Instance, time_limit: float, forbidden: frozenset = frozenset()) -> SupportAnswer:
    """The cheapest support avoiding the `forbidden` pairs, with a proven lower bound."""
    sc = inst.sc
    pairs = {k: c for k, c in inst.support_pairs.items() if k not in forbidden}
    if not pairs:
        everything_unmet = cost_of(inst, {})
        return SupportAnswer({}, everything_unmet, everything_unmet, True)
    lp = pywraplp.Solver.CreateSolver("SCIP") or pywraplp.Solver.CreateSolver("HIGHS")
    if lp is None:
        raise RuntimeError("OR-Tools was built without a MIP solver (SCIP or HiGHS)")
    lp.SuppressOutput()
    lp.SetTimeLimit(int(max(0.1, time_limit) * 1000))
    reqs = {q.id: q for q in sc.support_requests}
    provs = {p.id: p for p in sc.providers}
    w = sc.cycle.weights
    u = {k: lp.BoolVar(f"u{i}") for i, k in enumerate(pairs)}
    by_req: dict[str, list] = defaultdict(list)
    by_prov: dict[str, list] = defaultdict(list)
    for (qid, pid), v in u.items():
        by_req[qid].append(v)
        by_prov[pid].append(reqs[qid].days * v)
    for vs in by_req.values():
        lp.Add(lp.Sum(vs) <= 1)  # one provider gives all the days, or none
    for pid, load in by_prov.items():
        lp.Add(lp.Sum(load) <= provs[pid].capacity_days)
    if sc.cycle.support_budget is not None:
        lp.Add(lp.Sum([reqs[q].days * provs[p].day_rate * v for (q, p), v in u.items()]) <= sc.cycle.support_budget)
    penalty = sum(w.unmet_support * q.priority for q in sc.support_requests)
    lp.Minimize(lp.Sum([(pairs[(q, p)] - w.unmet_support * reqs[q].priority) * v for (q, p), v in u.items()]) + penalty)
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = lp.Solve(params)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        # No answer in the time: meeting nothing is always allowed; the LP-free bound is 0.
        return SupportAnswer({}, cost_of(inst, {}), 0.0, False)
    matching = {q: p for (q, p), v in u.items() if v.solution_value() > 0.5}
    value = cost_of(inst, matching)
    # The MIP's bound is on the same costs, within its tolerances: a penny off keeps it a
    # true bound.
    bound = min(value, lp.Objective().BestBound() - 1e-9 * abs(value) - 0.01)
    return SupportAnswer(matching, value, bound, status == pywraplp.Solver.OPTIMAL)
