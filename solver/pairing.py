"""Step 1, pair: one CP-SAT search of the pairing model (`model.py`) for who reviews which school.

The search reports the whole cycle's objective and bound as it goes (`on_progress`), stops
when the caller's `stop` event is set, and returns a `Pairing`: the teams, and what the
search proved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .instance import Instance
from .model import SCALE, PairingModel
from .support import SupportAnswer

ProgressFn = Callable[[float | None, float | None, float], None]
Teams = dict[str, list[str]]  # school URN -> reviewer ids


@dataclass(frozen=True)
class SearchSettings:
    """What every CP-SAT search of one solve shares (the caller's arguments to `solve`)."""

    workers: int
    seed: int
    gap_limit: float | None
    log: bool
    on_progress: ProgressFn | None
    stop: threading.Event | None
    started: float  # time.monotonic() when the solve began

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()


@dataclass(frozen=True)
class Pairing:
    found: bool  # False: no solution in the time; `teams` is then empty
    teams: Teams
    bound: float | None  # proven lower bound, pounds: of the cycle, or of the reviews half plus the support bound
    optimal: bool  # the search proved the optimum of its model's whole problem (every eligible pair)
    settled: bool = False  # the search proved its model's optimum over the pairs the model holds


def pair(pm: PairingModel, settings: SearchSettings, time_limit: float, support: SupportAnswer | None) -> Pairing:
    """Search the pairing model. `support` is the support half solved alone, whose value and
    bound complete the figures of a reviews-only model; None when the model is the joint one."""
    solver = _cp_solver(time_limit, settings)
    progress = _Progress(pm, settings.on_progress, support, settings.started)
    if settings.on_progress:
        solver.best_bound_callback = progress.on_bound
    watcher = _watch(settings.stop, solver)
    status = solver.solve(pm.m, progress)
    watcher.set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Pairing(False, {}, None, False)
    # Each model is a relaxation of the cycle (or of its reviews half, to which the support
    # half's own bound adds); its cuts are valid, so its bound is the cycle's. A model of
    # some pairs only proves its bound for plans of those pairs; a plan using a pair left
    # out costs at least `left_out` (relax.py), so the cycle's is the lesser of the two.
    own = solver.best_objective_bound / SCALE
    optimal = status == cp_model.OPTIMAL and (pm.left_out is None or own <= pm.left_out)
    bound = model_bound(pm, own) + (support.bound if support else 0.0)
    return Pairing(True, pm.read(solver), bound, optimal, status == cp_model.OPTIMAL)


def model_bound(pm: PairingModel, own: float) -> float:
    """The proven bound, pounds, of the model's whole problem (every eligible pair), from
    the search's own bound over the pairs it models."""
    if pm.left_out is not None:
        own = min(own, pm.left_out)
    if pm.floor is not None:
        own = max(own, pm.floor)
    return own


def previous_teams(inst: Instance) -> Teams:
    """The previous plan's teams, where every member is still allowed."""
    teams = {}
    open_urns = {rv.school_urn for rv in inst.open_reviews}
    for pv in inst.sc.previous:
        urn = pv.school_urn
        if urn in inst.fixed or urn not in open_urns:
            continue
        rids = [m.reviewer for m in pv.team if (m.reviewer, urn) in inst.pairs]
        if len(rids) == len(pv.team):
            teams[urn] = rids
    return teams


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports the whole cycle's objective and bound: the pairing search's plus the support
    half's (its best matching, and its proven bound)."""

    def __init__(self, pm: PairingModel, on_progress: ProgressFn | None, support: SupportAnswer | None, started: float):
        super().__init__()
        self.pm, self.on_progress, self.started = pm, on_progress, started
        # The joint model's objective already holds the support half.
        self.add_value = support.value if support else 0.0
        self.add_bound = support.bound if support else 0.0
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.objective_value / SCALE + self.add_value
        if self.on_progress:
            self.on_bound(self.best_objective_bound)

    def on_bound(self, bound: float) -> None:
        if self.on_progress:
            bound = model_bound(self.pm, bound / SCALE) + self.add_bound
            self.on_progress(self.best, bound, time.monotonic() - self.started)


def _cp_solver(time_limit: float, settings: SearchSettings) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = time_limit
    p.num_workers = max(1, settings.workers)
    p.random_seed = settings.seed
    if settings.gap_limit is not None:
        p.relative_gap_limit = settings.gap_limit
    p.log_search_progress = settings.log
    # Measured: on this model presolve spends seconds rewriting the team and capacity rows
    # and leaves the LP-guided search a worse start; without it the first good plan comes
    # in well under a second (bench/, 400 schools: gap 1.8% -> 0.06% in 30 s).
    p.cp_model_presolve = False
    if settings.workers <= 1:
        p.interleave_search = False
    return solver


def _watch(stop: threading.Event | None, solver: cp_model.CpSolver) -> threading.Event:
    """Stop the CP-SAT search when `stop` is set; returns an event that ends the watch."""
    done = threading.Event()
    if stop is None:
        return done

    def run() -> None:
        # Asked again until the search ends: a stop set before CP-SAT has started its search
        # would otherwise be lost (measured: a part stopped while its model was being built
        # ran its whole time).
        while not done.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                done.wait(0.1)

    threading.Thread(target=run, daemon=True).start()
    return done
