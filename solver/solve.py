"""solve(scenario) -> plan: support, pair, date, repair, explain, price.

1. `instance.build_instance`: fixed visits, start dates, eligible pairs (rules 1, 4, 5, 9).
   Fixed visits that break the rules on their own make the cycle INFEASIBLE, said by whom.
2. `support.best_support`: the support half alone, exactly (a MIP): its bound and matching.
3. `model.PairingModel`: teams for least cost (rules 2, 3, 5, 6, 7), warm-started from the
   previous plan and a greedy; its bound plus the support half's is a bound of the cycle.
   The support is then re-solved for the chosen teams if they rule out a match (rule 8).
4. `dating.date_teams`: dates for those teams (rules 1, 4), fewest date changes. A team that
   cannot be dated is ruled out in the pairing model and step 3 runs again while time lasts.
5. The plan: teams with roles, dates, unstaffed reviews and unmet requests with reasons, and
   the objective recomputed by `costs.plan_cost` — never taken from the model.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable

from ortools.sat.python import cp_model

from .costs import price_plan
from .dating import components, date_teams
from .greedy import greedy_teams
from .instance import Instance, build_instance
from .model import SCALE, PairingModel
from .reasons import unmet_reasons, unstaffed_reasons
from .scenario import Scenario, load_scenario
from .support import SupportAnswer, best_support, forbidden_by

ProgressFn = Callable[[float | None, float | None, float], None]
MAX_REPAIRS = 5


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports the whole cycle's objective and bound: the pairing search's plus the support
    half's (its best matching, and its proven bound)."""

    def __init__(self, on_progress: ProgressFn | None, support: SupportAnswer | None,
                 started: float):
        super().__init__()
        self.on_progress, self.started = on_progress, started
        # The joint model's objective already holds the support half.
        self.add_value = support.value if support else 0.0
        self.add_bound = support.bound if support else 0.0
        self.best: float | None = None

    def on_solution_callback(self):
        self.best = self.objective_value / SCALE + self.add_value
        if self.on_progress:
            self.on_progress(self.best, self.best_objective_bound / SCALE + self.add_bound,
                             time.monotonic() - self.started)

    def on_bound(self, bound: float):
        if self.on_progress:
            self.on_progress(self.best, bound / SCALE + self.add_bound,
                             time.monotonic() - self.started)


def solve(scenario, *, time_limit: float = 30.0, workers: int = 2, seed: int = 0,
          on_progress: ProgressFn | None = None, stop: threading.Event | None = None,
          gap_limit: float | None = None, log: bool = False) -> dict:
    """Solve one cycle. Raises `scenario.ScenarioError` for bad input; never half-answers.

    `gap_limit` (a fraction, e.g. 0.005) ends the search once the plan is proven that close
    to the bound: the nightly re-optimisation of many cycles needs good plans, not proofs.
    """
    started = time.monotonic()
    sc = load_scenario(scenario)
    inst = build_instance(sc)
    if inst.infeasible:
        return _infeasible_plan(inst, started, workers)

    deadline = started + time_limit
    # The support half on its own: a proven bound for any plan, and the matching to keep
    # when the teams allow it (the only rule joining the halves is the support conflict).
    alone = best_support(inst, min(5.0, 0.1 * time_limit), forbidden_by(inst, {}))
    pm = PairingModel(inst)
    quick = greedy_teams(inst, alone.matching, start=_previous_teams(inst, pm))
    pm.hint(quick)
    coupled = _halves_may_meet(inst, alone)
    joint = False
    nogoods: list[list[tuple[str, str]]] = []
    bound: float | None = None  # of the whole cycle, in pounds
    proven = False
    teams: dict[str, list[str]] = {}
    support = alone
    dates: dict = {}
    undated: list[str] = []
    best: tuple[float, dict, SupportAnswer] | None = None  # the cheapest pairing seen
    continued = False
    for attempt in range(MAX_REPAIRS + 3):
        left = deadline - time.monotonic()
        # Keep a slice of the time for dating and writing the plan; when the support
        # conflict rule may join the halves, the first search gets half, so that the joint
        # model has time if it is needed.
        share = 0.5 if attempt == 0 and coupled else 0.85 if attempt == 0 or joint or continued else 0.5
        solver = _cp_solver(max(0.2, left * share - 0.2), workers, seed, gap_limit, log)
        cb = _Progress(on_progress, None if joint else alone, started)
        if on_progress:
            solver.best_bound_callback = cb.on_bound
        watcher = _watch(stop, solver)
        status = solver.solve(pm.m, cb)
        watcher.set()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            teams = pm.read(solver)
            # Each model is a relaxation of the cycle (or of its reviews half, to which the
            # support half's own bound adds); the cuts are valid, so the best bound stands.
            new_bound = solver.best_objective_bound / SCALE + (0.0 if joint else alone.bound)
            bound = new_bound if bound is None else max(bound, new_bound)
            proven = status == cp_model.OPTIMAL
        else:  # no solution in the time (a tiny limit): the greedy teams, checked by dating
            teams, proven = (quick if attempt == 0 else {}), False
        support = _support_for(inst, teams, alone)
        cost = _pairing_cost(inst, teams) + support.value
        if best is not None and cost > best[0] + 1e-6:
            # A later search (the joint model, or one restarted after cuts) did worse than an
            # earlier one: keep the earlier plan unless the cuts ruled it out.
            if not nogoods or _keeps_nogoods(best[1], nogoods):
                cost, teams, support = best
                proven = False
        best = (cost, teams, support)
        stopped = stop is not None and stop.is_set()
        room = deadline - time.monotonic() > 2.0 and not stopped
        if not joint and support.value > alone.value + 1e-6 and room:
            # These teams cost the support half more than it costs alone: solve both halves
            # together, from this plan, keeping every cut made so far.
            joint = True
            pm = PairingModel(inst, with_support=True)
            pm.support_floor(alone.bound)
            for ng in nogoods:
                pm.forbid_together(ng)
            pm.hint(teams, support.matching)
            continue
        if attempt == 0 and coupled and not joint and not proven and room:
            continued = True  # the halves did not meet: give the pairing the rest of the time
            pm.hint(teams)
            continue
        if not joint:
            proven = proven and support.value <= alone.value + 1e-6 and alone.proven
        dating_time = max(0.5, min(10.0, (deadline - time.monotonic()) * 0.5))
        dates, undated = date_teams(inst, teams, time_limit=dating_time, workers=workers, seed=seed)
        if not undated or stopped or time.monotonic() > deadline - 1.0 or attempt >= MAX_REPAIRS:
            break
        # Rule out each clashing combination and pair again from the rest of the answer.
        clash = set(undated)
        for group in components(inst, teams):
            if group & clash:
                core = _clash_core(inst, {u: teams[u] for u in group}, workers, seed)
                nogoods.append([(rid, urn) for urn in core for rid in teams[urn]])
                pm.forbid_together(nogoods[-1])
        pm.hint({urn: rids for urn, rids in teams.items() if urn not in clash}, support.matching)

    # A team that could not be dated is not a visit: its review is unstaffed.
    for urn in undated:
        teams.pop(urn, None)
    plan = _write_plan(inst, teams, dates, support.matching, set(undated), started, workers)
    cost = plan["objective"]
    if bound is not None:
        bound = math.floor(min(bound, cost) * 100) / 100  # to the penny, never above a plan
    plan["bound"] = bound
    date_cost = plan["changes"]["date_changes"] * sc.cycle.weights.date_change
    plan["status"] = "OPTIMAL" if proven and not undated and date_cost == 0 else "FEASIBLE"
    return plan


def _pairing_cost(inst: Instance, teams: dict[str, list[str]]) -> float:
    """The reviews half's cost of these teams, in pounds (what the pairing model minimises)."""
    sc = inst.sc
    w = sc.cycle.weights
    chosen = {(rid, urn) for urn, rids in teams.items() for rid in rids}
    cost = sum(inst.pairs[p].cost for p in chosen)
    cost += sum(w.unstaffed * rv.priority for rv in inst.open_reviews if rv.school_urn not in teams)
    cost += sum(w.change for pv in sc.previous if pv.school_urn not in inst.fixed
                for m in pv.team if (m.reviewer, pv.school_urn) not in chosen)
    return cost


def _keeps_nogoods(teams: dict[str, list[str]], nogoods: list[list[tuple[str, str]]]) -> bool:
    chosen = {(rid, urn) for urn, rids in teams.items() for rid in rids}
    return all(not all(p in chosen for p in ng) for ng in nogoods)


def _cp_solver(time_limit: float, workers: int, seed: int, gap_limit: float | None,
               log: bool) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = time_limit
    p.num_workers = max(1, workers)
    p.random_seed = seed
    if gap_limit is not None:
        p.relative_gap_limit = gap_limit
    p.log_search_progress = log
    # Measured: on this model presolve spends seconds rewriting the team and capacity rows
    # and leaves the LP-guided search a worse start; without it the first good plan comes
    # in well under a second (bench/, 400 schools: gap 1.8% -> 0.06% in 30 s).
    p.cp_model_presolve = False
    if workers <= 1:
        p.interleave_search = False
    return solver


def _halves_may_meet(inst: Instance, alone: SupportAnswer) -> bool:
    """Could any eligible visit rule out a match of the support half's best matching?"""
    if not alone.matching or not inst.rules.support_conflict_applies():
        return False
    sc = inst.sc
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    at_risk = {(provs[p].school_urn, reqs[q].school_urn) for q, p in alone.matching.items()}
    return any((sc.reviewer_by_id[rid].school_urn, urn) in at_risk for rid, urn in inst.pairs)


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


def _support_for(inst: Instance, teams: dict[str, list[str]], alone: SupportAnswer) -> SupportAnswer:
    """The best support for these teams: the matching found alone when the teams leave it
    standing, else the support half solved again without the pairs the teams rule out."""
    forbidden = forbidden_by(inst, teams)
    if not any((q, p) in forbidden for q, p in alone.matching.items()):
        return alone
    return best_support(inst, 5.0, forbidden)


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
                  "reasons": unstaffed_reasons(inst, rv, teams, undated)}
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
    price_plan(sc, plan)
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
