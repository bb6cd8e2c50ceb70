"""solve(scenario) -> plan: pair with CP-SAT, date the teams, repair, explain, price.

1. `instance.build_instance`: fixed visits, start dates, eligible pairs (rules 1, 4, 5, 9).
   Fixed visits that break the rules on their own make the cycle INFEASIBLE, said by whom.
2. `model.PairingModel`: teams and support for least cost (rules 2, 3, 6, 7, 8), warm-started
   from the previous plan. Its bound is a bound of the whole cycle.
3. `dating.date_teams`: dates for those teams (rules 1, 4), fewest date changes. A team that
   cannot be dated is ruled out in the pairing model and step 2 runs again while time lasts.
4. The plan: teams with roles, dates, unstaffed reviews and unmet requests with reasons, and
   the objective recomputed by `costs.plan_cost` — never taken from the model.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable

from ortools.sat.python import cp_model

from .costs import plan_cost
from .dating import components, date_teams
from .greedy import greedy_teams
from .instance import Instance, build_instance
from .model import SCALE, PairingModel, money, support_mip
from .reasons import unmet_reasons, unstaffed_reasons
from .scenario import Scenario, load_scenario

ProgressFn = Callable[[float | None, float | None, float], None]
MAX_REPAIRS = 5


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, on_progress: ProgressFn | None, offset: float, started: float):
        super().__init__()
        self.on_progress, self.started = on_progress, started
        self.best: float | None = None

    def on_solution_callback(self):
        self.best = self.objective_value / SCALE
        if self.on_progress:
            self.on_progress(self.best, self.best_objective_bound / SCALE,
                             time.monotonic() - self.started)


def solve(scenario, *, time_limit: float = 30.0, workers: int = 2, seed: int = 0,
          on_progress: ProgressFn | None = None, stop: threading.Event | None = None,
          log: bool = False) -> dict:
    """Solve one cycle. Raises `scenario.ScenarioError` for bad input; never half-answers."""
    started = time.monotonic()
    sc = load_scenario(scenario)
    inst = build_instance(sc)
    if inst.infeasible:
        return _infeasible_plan(inst, started, workers)

    deadline = started + time_limit
    pm = PairingModel(inst)
    hint_support: dict[str, str] = {}
    if sc.support_requests:
        floor, hint_support = _support_floor(inst, min(2.0, 0.1 * time_limit), workers, seed)
        pm.support_floor(floor)
    hint_teams = greedy_teams(inst, hint_support, start=_previous_teams(inst, pm))
    pm.hint(hint_teams, hint_support)
    bound: float | None = None
    proven = False
    teams: dict[str, list[str]] = {}
    support: dict[str, str] = {}
    dates: dict = {}
    undated: list[str] = []
    for attempt in range(MAX_REPAIRS + 1):
        left = deadline - time.monotonic()
        solver = cp_model.CpSolver()
        p = solver.parameters
        # Keep a slice of the time for dating and writing the plan.
        p.max_time_in_seconds = max(0.2, left * (0.85 if attempt == 0 else 0.5) - 0.2)
        p.num_workers = max(1, workers)
        p.random_seed = seed
        p.log_search_progress = log
        # Measured: on this model presolve spends seconds rewriting the team and capacity rows
        # and leaves the LP-guided search a worse start; without it the first good plan comes
        # in well under a second (bench/, 400 schools: gap 1.8% -> 0.06% in 30 s).
        p.cp_model_presolve = False
        if workers <= 1:
            p.interleave_search = False
        cb = _Progress(on_progress, 0.0, started)
        if on_progress:
            solver.best_bound_callback = lambda b: on_progress(
                cb.best, b / SCALE, time.monotonic() - started)
        watcher = _watch(stop, solver)
        status = solver.solve(pm.m, cb)
        watcher.set()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            teams, support = pm.read(solver)
            # Every run's model is a relaxation of the cycle (the cuts are valid), so the
            # best of their bounds is a bound.
            new_bound = solver.best_objective_bound / SCALE
            bound = new_bound if bound is None else max(bound, new_bound)
            proven = status == cp_model.OPTIMAL
        else:  # no solution at all in the time: everything unstaffed is always valid
            teams, support, proven = {}, {}, False
        support = _polish_support(inst, teams, support)
        dating_time = max(0.5, min(10.0, (deadline - time.monotonic()) * 0.5))
        dates, undated = date_teams(inst, teams, time_limit=dating_time, workers=workers, seed=seed)
        stopped = stop is not None and stop.is_set()
        if not undated or stopped or time.monotonic() > deadline - 1.0 or attempt == MAX_REPAIRS:
            break
        # Rule out each clashing combination and pair again from the rest of the answer.
        clash = set(undated)
        for group in components(inst, teams):
            if group & clash:
                core = _clash_core(inst, {u: teams[u] for u in group}, workers, seed)
                pm.forbid_together([(rid, urn) for urn in core for rid in teams[urn]])
        keep = {urn: rids for urn, rids in teams.items() if urn not in clash}
        pm.hint(keep, support)
        proven = False

    # A team that could not be dated is not a visit: its review is unstaffed.
    for urn in undated:
        teams.pop(urn, None)
    plan = _write_plan(inst, teams, dates, support, set(undated), started, workers)
    cost = plan["objective"]
    if bound is not None:
        bound = min(bound, cost)  # the model's bound, floored, never above a real plan's cost
        bound = math.floor(bound * 100) / 100
    plan["bound"] = bound
    date_cost = plan["changes"]["date_changes"] * sc.cycle.weights.date_change
    plan["status"] = "OPTIMAL" if proven and not undated and date_cost == 0 else "FEASIBLE"
    return plan


def _support_floor(inst: Instance, time_limit: float, workers: int, seed: int) -> tuple[int, dict]:
    """A proven lower bound of the support half's cost (scaled), and its best matching.

    The support half is a multiple knapsack under a budget; a MIP solver's cuts prove it in
    a fraction of a second where CP-SAT's search stalls for minutes, so HiGHS (bundled with
    OR-Tools) solves it; CP-SAT is the fallback.
    """
    bound, _, matching = support_mip(inst, time_limit)
    if bound is not None:
        # The MIP's bound is on true costs, within its tolerances; the model's costs are
        # floored. Take off a pound per request and the cut stays a true bound of the model.
        return money(bound - 1e-6 * abs(bound) - len(inst.sc.support_requests) - 1.0), matching
    sm = PairingModel(inst, reviews=False)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    status = solver.solve(sm.m)
    floor = math.ceil(solver.best_objective_bound - 1e-6)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return floor, {}
    return floor, sm.read(solver)[1]


def _clash_core(inst: Instance, group: dict[str, list[str]], workers: int, seed: int) -> list[str]:
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


def _polish_support(inst: Instance, teams: dict[str, list[str]], support: dict[str, str]) -> dict:
    """The best support for these teams: when the pairing search ran out of time before its
    support half was right, an exact answer for fixed teams costs a fraction of a second."""
    if not inst.sc.support_requests:
        return support
    sc = inst.sc
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    forbidden = frozenset()
    if inst.rules.support_conflict_applies():
        directed = {(sc.reviewer_by_id[rid].school_urn, urn) for urn, rids in teams.items()
                    for rid in rids} | {(sc.reviewer_by_id[m.reviewer].school_urn, urn)
                                        for urn, pv in inst.fixed.items() for m in pv.team}
        forbidden = frozenset(k for k in inst.support_pairs
                              if (provs[k[1]].school_urn, reqs[k[0]].school_urn) in directed)
    _, value, matching = support_mip(inst, 5.0, forbidden)
    if value is None:
        return support

    def cost(match):
        w = sc.cycle.weights
        return sum(inst.support_pairs[(q, p)] for q, p in match.items()) + sum(
            w.unmet_support * q.priority for q in sc.support_requests if q.id not in match)

    return matching if cost(matching) < cost(support) - 1e-6 else support


def _watch(stop: threading.Event | None, solver: cp_model.CpSolver) -> threading.Event:
    """Stop the CP-SAT search when `stop` is set; returns an event that ends the watch."""
    done = threading.Event()
    if stop is None:
        return done

    def run():
        while not done.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                return

    threading.Thread(target=run, daemon=True).start()
    return done


def _previous_teams(inst: Instance, pm: PairingModel) -> dict[str, list[str]]:
    """The previous plan's teams, where every member is still allowed."""
    teams = {}
    for pv in inst.sc.previous:
        urn = pv.school_urn
        if urn in inst.fixed or urn not in pm.y:
            continue
        rids = [m.reviewer for m in pv.team if (m.reviewer, urn) in pm.x]
        if len(rids) == len(pv.team):
            teams[urn] = rids
    return teams


def _roles(inst: Instance, urn: str, rids: list[str]) -> list[dict]:
    """Lead first: the previous lead when still on the team and accredited, else the accredited
    member with the most specialisms in the review's focus (then by id, for determinism)."""
    sc = inst.sc
    if not sc.cycle.lead_required:
        return [{"reviewer": rid, "role": "member"} for rid in sorted(rids)]
    prev_lead = next((m.reviewer for pv in sc.previous if pv.school_urn == urn
                      for m in pv.team if m.role == "lead"), None)
    focus = set(next((rv.focus for rv in sc.reviews if rv.school_urn == urn), ()))
    accredited = [rid for rid in rids if sc.reviewer_by_id[rid].lead_accredited]
    if prev_lead in accredited:
        lead = prev_lead
    else:
        lead = min(accredited, key=lambda rid: (-len(focus & set(sc.reviewer_by_id[rid].specialisms)), rid))
    return [{"reviewer": lead, "role": "lead"}] + [
        {"reviewer": rid, "role": "member"} for rid in sorted(rids) if rid != lead]


def _write_plan(inst: Instance, teams, dates, support, undated: set[str], started: float,
                workers: int) -> dict:
    sc = inst.sc
    visits = []
    for urn, pv in inst.fixed.items():
        visits.append({"school_urn": urn, "date": pv.date.isoformat(),
                       "days": [d.isoformat() for d in inst.fixed_days[urn]],
                       "team": [{"reviewer": m.reviewer, "role": m.role} for m in pv.team]})
    for urn, rids in teams.items():
        start = dates[urn]
        visits.append({"school_urn": urn, "date": start.isoformat(),
                       "days": [d.isoformat() for d in inst.cal.visit_days_if_valid(start)],
                       "team": _roles(inst, urn, rids)})
    visits.sort(key=lambda v: (v["date"], v["school_urn"]))
    staffed = {v["school_urn"] for v in visits}
    unstaffed = [{"school_urn": rv.school_urn,
                  "reasons": unstaffed_reasons(inst, rv, teams, support, undated)}
                 for rv in sc.reviews if rv.school_urn not in staffed]
    met = [{"request": qid, "provider": support[qid]}
           for qid in sorted(support)]
    unmet = [{"request": q.id, "school_urn": q.school_urn, "reasons": unmet_reasons(inst, q, support)}
             for q in sc.support_requests if q.id not in support]
    plan = {
        "version": 1, "status": "FEASIBLE", "objective": None, "bound": None,
        "reviews": visits, "unstaffed": unstaffed, "support": met, "unmet_support": unmet,
        "costs": {}, "changes": {},
        "warnings": [{"school_urn": urn, "message": msg} for urn, msg in inst.warnings],
        "solver": {},
    }
    cost = plan_cost(sc, plan)
    plan["objective"] = round(cost.objective, 6)
    plan["costs"] = {"backfill": round(cost.backfill, 2), "support": round(cost.support, 2),
                     "mileage": round(cost.mileage, 2),
                     "backfill_by_cluster": {k: round(v, 2) for k, v in cost.backfill_by_cluster.items()}}
    plan["changes"] = {"dropped_pairs": cost.dropped_pairs, "date_changes": cost.date_changes}
    plan["solver"] = {"wall_s": round(time.monotonic() - started, 3), "workers": workers}
    return plan


def _infeasible_plan(inst: Instance, started: float, workers: int) -> dict:
    reasons = [msg for _, msg in inst.infeasible]
    return {
        "version": 1, "status": "INFEASIBLE", "objective": None, "bound": None,
        "reviews": [],
        "unstaffed": [{"school_urn": rv.school_urn,
                       "reasons": ["the cycle is infeasible: " + "; ".join(reasons)]}
                      for rv in inst.sc.reviews],
        "support": [],
        "unmet_support": [{"request": q.id, "school_urn": q.school_urn,
                           "reasons": ["the cycle is infeasible"]} for q in inst.sc.support_requests],
        "costs": {"backfill": 0.0, "support": 0.0, "mileage": 0.0,
                  "backfill_by_cluster": {k: 0.0 for k in inst.sc.cycle.cluster_budgets}},
        "changes": {"dropped_pairs": 0, "date_changes": 0},
        "warnings": [{"school_urn": urn, "message": msg} for urn, msg in inst.infeasible]
                    + [{"school_urn": urn, "message": msg} for urn, msg in inst.warnings],
        "solver": {"wall_s": round(time.monotonic() - started, 3), "workers": workers},
    }


__all__ = ["solve", "Scenario"]
