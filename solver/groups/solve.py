"""solve_groups(scenario) -> plan v1.1: candidates, bound, choose (CP-SAT), date, repair, explain.

0. `instance.build_group_instance`: who may visit whom and when (rules 1, 3, 4, 5, 11, 13).
1. `candidates.columns`: every group the rules allow, at its least cost, each dated inside
   itself; `greedy.greedy_groups` makes a first answer from them.
2. `bound.lp_bound`: the LP relaxation with valid cuts: a proven bound, and reduced costs.
3. `model.GroupModel` (CP-SAT), twice: first on the columns the LP favours (a good plan fast),
   then on every column that could still be in a better plan (reduced-cost fixing: the others
   provably cannot), for the rest of the time. Its bound, with the LP's, is the cycle's.
4. `dating.date_groups`: dates for every chosen group together (facilitators join groups). A
   combination that cannot be dated is cut out of the model and step 3 runs again while time
   lasts; what still cannot be dated is left out, with its reason.
5. `explain.explain`: the plan, its reasons, the objective by the formula, an honest status.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..rules import Staffing
from ..scenario import Scenario
from .bound import Cut, LpBound, lp_bound, reduced_cost_keep
from .candidates import Column, Rejections, columns
from .dating import Dated, date_groups, joined_by_facilitators
from .explain import explain, infeasible_groups_plan
from .greedy import greedy_groups
from .instance import GroupInstance, build_group_instance
from .model import SCALE, GroupModel

MAX_REPAIRS = 5
FIRST_LOOK = 1500  # columns in the first, quick search: those the LP favours
# Measured (400 schools, 2 cores): CP-SAT improves and bounds a model of ~10 000 columns in the
# time; on 30 000 it finds no bound at all. Beyond this, the LP's bound is the cycle's.
MOST_SEARCHED = 10_000
FIXING_MARGIN = 1.0  # pounds: model costs are floored per column; keep a little more than needed
ProgressFn = Callable[[float | None, float | None, float], None]


@dataclass(frozen=True)
class _Settings:
    workers: int
    seed: int
    gap_limit: float | None
    log: bool
    on_progress: ProgressFn | None
    stop: threading.Event | None
    started: float

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()


@dataclass
class _Answer:
    chosen: list[int]  # indices into the full column list
    leads: dict[str, str]  # host -> facilitator
    value: float | None  # the model's objective, pounds (None: not searched)
    bound: float | None  # proven lower bound of the models' cycle, pounds
    optimal: bool


def solve_groups(
    sc: Scenario,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    gap_limit: float | None = None,
    log: bool = False,
) -> dict:
    started = time.monotonic()
    deadline = started + time_limit
    settings = _Settings(workers, seed, gap_limit, log, on_progress, stop, started)
    inst = build_group_instance(sc)
    if inst.infeasible:
        reasons = [f"{urn}: {msg}" if urn else msg for urn, msg in inst.infeasible]
        return infeasible_groups_plan(inst, reasons, started, workers)
    rejected = Rejections(Counter(), Counter(), Counter())
    cols = [c for c in columns(inst, rejected) if all(inst.facilitators_at.get(h) for h in c.facilitated)]
    unformed = sorted(h for h in inst.forced if not any(h in c.schools for c in cols))
    if unformed:
        reasons = [f"{h}: the group of its fixed visit cannot be formed under today's rules" for h in unformed]
        return infeasible_groups_plan(inst, reasons, started, workers)
    # Dating and writing the plan need a few seconds of the time, whatever the search takes.
    reserve = min(10.0, max(1.5, 0.15 * time_limit))
    lp = lp_bound(inst, cols, started + 0.3 * time_limit)
    answer, choice = _choose(inst, cols, lp, deadline - reserve, settings)
    dated = date_groups(inst, cols, answer.chosen, answer.leads, _dating_time(deadline, reserve), workers, seed)
    for _ in range(MAX_REPAIRS):
        if not dated.undated or settings.stopped or deadline - time.monotonic() < reserve / 2:
            break
        answer = _repair(inst, cols, lp, choice, answer, dated, deadline - reserve / 2, settings)
        dated = date_groups(inst, cols, answer.chosen, answer.leads, _dating_time(deadline, reserve / 2), workers, seed)
    keep_spread(inst, cols, answer.chosen, answer.leads, dated)
    bounds = [b for b in (lp.value, answer.bound) if b is not None]
    bound = max(bounds) if bounds else None
    return explain(inst, cols, answer.chosen, answer.leads, dated, rejected, bound, answer.optimal, started, workers)


def _dating_time(deadline: float, reserve: float) -> float:
    return max(1.0, min(reserve, deadline - time.monotonic() - 0.5))


@dataclass
class _Choice:
    """What the searches carry: the columns they search, whether those are every column that
    could be in a plan cheaper than the quick plan (else the searches' bounds prove nothing of
    the cycle), the quick plan's value, and the combinations dating ruled out."""

    keep: list[int]
    exact: bool
    quick_value: float | None
    nogoods: list[tuple[list[int], dict[str, str]]]

    def bound(self, answer: _Answer, n: int) -> _Answer:
        if len(self.keep) == n:
            return answer
        if not self.exact or self.quick_value is None or answer.bound is None:
            answer.bound, answer.optimal = None, False
            return answer
        # Plans with a column left out cost more than the quick plan (reduced costs): the
        # cycle's bound is the smaller of that plan's value and the kept columns' bound.
        answer.bound = min(answer.bound, self.quick_value)
        answer.optimal = answer.optimal and answer.value is not None and answer.value <= self.quick_value + 1e-6
        return answer


def _choose(
    inst: GroupInstance, cols: list[Column], lp: LpBound, until: float, settings: _Settings
) -> tuple[_Answer, _Choice]:
    """Step 3: the quick search on the columns the LP favours, then the search on every column
    that could still be in a better plan (or, when those are too many for CP-SAT in the time,
    on more of the favoured ones: a better plan, and the LP's bound)."""
    chosen, leads = greedy_groups(inst, cols, lp.solution or None)
    first = _favoured(lp, chosen, len(cols), FIRST_LOOK)
    until_quick = time.monotonic() + 0.3 * (until - time.monotonic())
    whole = len(first) == len(cols)
    quick = _search(inst, cols, first, lp.cuts, chosen, leads, until_quick, settings, _reported(lp, whole))
    if quick.value is None:
        quick = _Answer(chosen, leads, None, None, False)
    if len(first) < len(cols):
        quick.bound, quick.optimal = None, False  # a bound of those columns only
    if quick.value is None or lp.value is None:
        keep, exact = list(range(len(cols))), True
    else:
        keep = sorted(set(reduced_cost_keep(lp, quick.value + FIXING_MARGIN, len(cols))) | set(quick.chosen))
        exact = len(keep) <= MOST_SEARCHED
        if not exact:
            keep = _favoured(lp, quick.chosen, len(cols), MOST_SEARCHED)
    choice = _Choice(keep, exact, quick.value, [])
    cap = quick.value if len(keep) < len(cols) else None
    final = _search(inst, cols, keep, lp.cuts, quick.chosen, quick.leads, until, settings, _reported(lp, exact, cap))
    if final.value is None or (quick.value is not None and final.value > quick.value):
        return quick, choice
    return choice.bound(final, len(cols)), choice


def _reported(lp: LpBound, valid: bool, cap: float | None = None) -> Callable[[float], float | None]:
    """What a search's progress reports as the cycle's bound, given its model's: the LP's, and
    the model's only where it bounds the cycle (every column, or every column that could beat
    the quick plan, whose value then caps it)."""

    def bound(model: float) -> float | None:
        if not valid:
            return lp.value
        if cap is not None:
            model = min(model, cap)
        return model if lp.value is None else max(model, lp.value)

    return bound


def _favoured(lp: LpBound, chosen: list[int], n: int, most: int, among: list[int] | None = None) -> list[int]:
    """The given plan's columns, the LP's support, then the smallest reduced costs (of `among`)."""
    pool = list(range(n)) if among is None else among
    if not lp.reduced_costs or len(pool) <= most:
        return sorted(set(chosen) | set(pool))
    support = {i for i in pool if lp.solution[i] > 1e-6}
    by_cost = sorted(pool, key=lambda i: (lp.reduced_costs[i], i))[:most]
    return sorted(set(chosen) | support | set(by_cost))


def _search(
    inst: GroupInstance,
    cols: list[Column],
    subset: list[int],
    cuts: list[Cut],
    chosen: list[int],
    leads: dict[str, str],
    until: float,
    settings: _Settings,
    reported: Callable[[float], float | None] = lambda model: None,
    forbidden: Sequence[tuple[list[int], dict[str, str]]] = (),
) -> _Answer:
    """One CP-SAT search of the model on these columns (indices into `cols`)."""
    local = {i: j for j, i in enumerate(subset)}
    gm = GroupModel(inst, [cols[i] for i in subset], [_restrict(cut, local) for cut in cuts])
    gm.hint([local[i] for i in chosen if i in local], leads)
    for groups, with_leads in forbidden:
        if all(i in local for i in groups):
            gm.forbid_together([local[i] for i in groups], with_leads)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.5, until - time.monotonic())
    p.num_workers = max(1, settings.workers)
    p.random_seed = settings.seed
    p.log_search_progress = settings.log
    # Measured (400 schools, the LP's 1 000 favoured columns): with presolve, CP-SAT's LP
    # bound stays negative and its plan 27 % above the optimum after 8 s; without, it proves
    # the optimum of those columns in under 8 s.
    p.cp_model_presolve = False
    if settings.gap_limit is not None:
        p.relative_gap_limit = settings.gap_limit
    progress = _Progress(settings.on_progress, settings.started, reported)
    if settings.on_progress:
        solver.best_bound_callback = progress.on_bound
    done = _watch(settings.stop, solver)
    status = solver.solve(gm.m, progress)
    done.set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Answer(chosen, leads, None, None, False)
    picked, picked_leads = gm.read(solver)
    return _Answer(
        [subset[j] for j in picked],
        picked_leads,
        solver.objective_value / SCALE,
        solver.best_objective_bound / SCALE,
        status == cp_model.OPTIMAL,
    )


def _restrict(cut: Cut, local: dict[int, int]) -> Cut:
    """A cut on fewer columns still holds (the columns left out are zero)."""
    return Cut([local[i] for i in cut.columns if i in local], cut.rhs)


def _repair(
    inst: GroupInstance,
    cols: list[Column],
    lp: LpBound,
    choice: _Choice,
    answer: _Answer,
    dated: Dated,
    until: float,
    settings: _Settings,
) -> _Answer:
    """Rule out each combination of groups and facilitators that could not be dated together,
    and search again from the rest of the answer."""
    for i in dated.undated:
        joined = joined_by_facilitators(cols, answer.chosen, answer.leads, i)
        schools = {h for j in joined for h in cols[j].schools}
        choice.nogoods.append((joined, {h: k for h, k in answer.leads.items() if h in schools}))
    lost = {h for i in dated.undated for h in cols[i].schools}
    chosen = [i for i in answer.chosen if not set(cols[i].schools) & lost]
    leads = {h: k for h, k in answer.leads.items() if h not in lost}
    cap = choice.quick_value if len(choice.keep) < len(cols) else None
    reported = _reported(lp, choice.exact, cap)
    again = _search(inst, cols, choice.keep, lp.cuts, chosen, leads, until, settings, reported, choice.nogoods)
    if again.value is None:
        return answer
    return choice.bound(again, len(cols))


def keep_spread(
    inst: GroupInstance, cols: list[Column], chosen: list[int], leads: dict[str, str], dated: Dated
) -> None:
    """Rule 13's spread after dating: a group left undated can take the least-loaded reviewer
    out of the comparison. Leave out the group of the most-loaded one until the spread holds."""
    while True:
        kept = [i for i in chosen if i not in dated.undated and i not in dated.spread]
        visits = [Staffing(h, [], team) for i in kept for h, team in cols[i].teams]
        visits += [Staffing(h, [], [k]) for h, k in leads.items() if any(h in cols[i].schools for i in kept)]
        breach = next((b for b in inst.rules.load_breaches(visits) if len(b.who) == 2), None)
        if breach is None:
            return
        top = breach.who[0]
        dated.spread += [i for i in kept if any(top in team for _, team in cols[i].teams)]


def _watch(stop: threading.Event | None, solver: cp_model.CpSolver) -> threading.Event:
    """Stop the CP-SAT search when `stop` is set; returns an event that ends the watch."""
    done = threading.Event()
    if stop is None:
        return done

    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                return

    threading.Thread(target=watch, daemon=True).start()
    return done


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports the search's plan and the cycle's bound (`reported`: never a bound of fewer
    columns than the cycle's)."""

    def __init__(self, on_progress: ProgressFn | None, started: float, reported: Callable[[float], float | None]):
        super().__init__()
        self.on_progress, self.started, self.reported = on_progress, started, reported
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        self.best = self.objective_value / SCALE
        if self.on_progress:
            bound = self.reported(self.best_objective_bound / SCALE)
            self.on_progress(self.best, bound, time.monotonic() - self.started)

    def on_bound(self, bound: float) -> None:
        if self.on_progress:
            self.on_progress(self.best, self.reported(bound / SCALE), time.monotonic() - self.started)
