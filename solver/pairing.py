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
    optimal: bool  # the search proved its model's optimum


def pair(pm: PairingModel, settings: SearchSettings, time_limit: float, support: SupportAnswer | None) -> Pairing:
    """Search the pairing model. `support` is the support half solved alone, whose value and
    bound complete the figures of a reviews-only model; None when the model is the joint one."""
    solver = _cp_solver(time_limit, settings)
    progress = _Progress(settings.on_progress, support, settings.started)
    if settings.on_progress:
        solver.best_bound_callback = progress.on_bound
    watcher = _watch(settings.stop, solver)
    status = solver.solve(pm.m, progress)
    watcher.set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Pairing(False, {}, None, False)
    # Each model is a relaxation of the cycle (or of its reviews half, to which the support
    # half's own bound adds); its cuts are valid, so its bound is the cycle's.
    bound = solver.best_objective_bound / SCALE + (support.bound if support else 0.0)
    return Pairing(True, pm.read(solver), bound, status == cp_model.OPTIMAL)


def previous_teams(inst: Instance, pm: PairingModel) -> Teams:
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


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports the whole cycle's objective and bound: the pairing search's plus the support
    half's (its best matching, and its proven bound)."""

    def __init__(self, on_progress: ProgressFn | None, support: SupportAnswer | None, started: float):
        super().__init__()
        self.on_progress, self.started = on_progress, started
        # The joint model's objective already holds the support half.
        self.add_value = support.value if support else 0.0
        self.add_bound = support.bound if support else 0.0
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.objective_value / SCALE + self.add_value
        if self.on_progress:
            self.on_progress(
                self.best, self.best_objective_bound / SCALE + self.add_bound, time.monotonic() - self.started
            )

    def on_bound(self, bound: float) -> None:
        if self.on_progress:
            self.on_progress(self.best, bound / SCALE + self.add_bound, time.monotonic() - self.started)


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
        while not done.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                return

    threading.Thread(target=run, daemon=True).start()
    return done
