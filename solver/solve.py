"""solve(scenario) -> plan: pair, join halves, date and repair, explain.

0. `instance.build_instance`: fixed visits, start dates, eligible pairs (rules 1, 4, 5, 9).
   Fixed visits that break the rules on their own make the cycle INFEASIBLE, said by whom.
   The support half alone (`support.best_support`) gives its bound and matching, and a
   greedy pairing (`greedy.py`) warm-starts the search. A big cycle's pairs are priced by
   the LP relaxation (`relax.py`) and only the cheapest are modelled (`model_pairs`).
1. pair (`pairing.pair`): teams for least cost from the CP-SAT pairing model (`model.py`:
   rules 2, 3, 5, 6, 7), with its proven bound (of the whole cycle, whatever pairs the model
   holds). With `parts` > 1 the first search is split into parts (`split.py`), run by
   `run_parts`, and merged.
2. join halves (`halves.join_halves`): the best support for those teams (rule 8), or the
   best pairing seen so far. If the teams cost the support half more than it costs alone,
   the search moves to the joint model (both halves together) and pairs again.
3. date and repair (`repair.py`): dates for the teams (rules 1, 4). A team that cannot be
   dated is cut out of the pairing model with a no-good, and step 1 runs again while time
   lasts.
4. explain (`explain.explain`): the plan, with roles, dates, the reasons of every unstaffed
   review and unmet request, the objective recomputed by the formula, the proven bound,
   and the status (OPTIMAL only when proven).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

from .explain import Outcome, explain, infeasible_plan
from .greedy import greedy_teams
from .halves import Joined, Nogood, forbidding, halves_may_meet, join_halves, pairing_cost
from .instance import Instance, build_instance
from .model import PairingModel
from .pairing import Pairing, ProgressFn, SearchSettings, Teams, pair, previous_teams
from .relax import KEEP_PER_SEAT, PROOF_PER_SEAT, Relaxation, relax
from .repair import Dated, dates_for, nogoods_for, restaff
from .scenario import Scenario, load_scenario
from .split import RunParts, merge, partition, run_here
from .support import SupportAnswer, best_support, forbidden_by

MAX_REPAIRS = 5
FULL_MODEL_PAIRS = 20_000  # eligible pairs up to which the pairing model holds them all


def solve(
    scenario,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    gap_limit: float | None = None,
    log: bool = False,
    parts: int = 1,
    run_parts: RunParts | None = None,
) -> dict:
    """Solve one cycle. Raises `scenario.ScenarioError` for bad input; never half-answers.

    `gap_limit` (a fraction, e.g. 0.005) ends the search once the plan is proven that close
    to the bound: the nightly re-optimisation of many cycles needs good plans, not proofs.
    `parts` > 1 splits the first pairing search into that many parts (`split.py`), run by
    `run_parts` (default: one after another here; `worker/fanout.py` runs them as RQ jobs).
    """
    started = time.monotonic()
    sc = load_scenario(scenario)
    inst = build_instance(sc)
    if inst.infeasible:
        return infeasible_plan(inst, started, workers)
    settings = SearchSettings(workers, seed, gap_limit, log, on_progress, stop, started)
    if parts > 1 and run_parts is None:
        run_parts = run_here(scenario, stop)
    outcome = search(inst, settings, time_limit, parts, run_parts)
    return explain(inst, outcome, started, workers)


@dataclass
class _Search:
    """What the steps carry from one attempt to the next."""

    inst: Instance
    settings: SearchSettings
    deadline: float
    alone: SupportAnswer  # the support half solved alone
    quick: Teams  # the greedy pairing: the answer when CP-SAT finds none in time
    coupled: bool  # the support conflict rule may join the halves
    modelled: ModelPairs
    pm: PairingModel
    split_into: int = 1  # parts of the first search (1: not split)
    joint: bool = False  # pm is the joint model (both halves)
    continued: bool = False  # the first search was given more time instead of dating
    nogoods: list[Nogood] = field(default_factory=list)
    bound: float | None = None  # of the whole cycle, pounds: the best of every search's
    best: Joined | None = None  # the cheapest pairing seen

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def room(self) -> bool:
        """Time, and leave, for another search before dating."""
        return self.time_left() > 2.0 and not self.settings.stopped


def search(
    inst: Instance, settings: SearchSettings, time_limit: float, parts: int = 1, run_parts: RunParts | None = None
) -> Outcome:
    """Steps 1-3 until every team is dated, or the time, the repairs or the caller run out."""
    s = _start(inst, settings, time_limit, parts)
    joined: Joined | None = None
    dated = Dated({}, [])
    proven = False
    for attempt in range(MAX_REPAIRS + 3):
        if attempt == 0 and parts > 1 and run_parts is not None:
            pairing = _split_pair(s, parts, run_parts)
        else:
            pairing = _pair(s, attempt)
        joined = join_halves(inst, pairing, s.alone, s.best, s.nogoods)
        s.best = joined
        stopped, room = settings.stopped, s.room()
        if not s.joint and joined.support.value > s.alone.value + 1e-6 and room:
            _go_joint(s, joined)
            continue
        if attempt == 0 and (s.coupled or s.split_into > 1) and not s.joint and not joined.proven and room:
            # The halves did not meet, or the parts were solved apart: the whole pairing
            # model gets the rest of the time, from these teams.
            s.continued = True
            s.pm.hint(joined.teams)
            continue
        if pairing.settled and not pairing.optimal and not s.joint and room and _grow(s, joined):
            continue
        proven = joined.proven
        if not s.joint:  # the support half's proof is part of the cycle's
            proven = proven and joined.support.value <= s.alone.value + 1e-6 and s.alone.proven
        dating_time = max(0.5, min(10.0, s.time_left() * 0.5))
        dated = dates_for(inst, joined.teams, dating_time, settings.workers, settings.seed)
        if not dated.undated or stopped or s.time_left() < 1.0 or attempt >= MAX_REPAIRS:
            break
        _repair(s, joined, dated)
    assert joined is not None  # the loop runs at least once
    if dated.undated:  # no time left to pair again: new teams around the plan as it stands
        teams, dated = restaff(inst, joined.teams, dated, joined.support.matching)
        joined = Joined(teams, joined.support, joined.cost, False)
        proven = False  # the pairing proven best had a team without a date: these teams are not proven
    # Every plan staffing a review costs at least the relaxation's bound with it staffed,
    # plus the support half's bound (the halves' bounds add: the rule joining them is dropped).
    floors = {}
    if s.modelled.floor is not None:
        relaxed = s.modelled.floor + s.alone.bound
        s.bound = relaxed if s.bound is None else max(s.bound, relaxed)
        floors = {u: s.modelled.floor + extra + s.alone.bound for u, extra in s.modelled.staff_extra.items()}
    return Outcome(
        joined.teams, dated.dates, dated.undated, joined.support.matching, s.bound, proven, floors, s.split_into
    )


def _start(inst: Instance, settings: SearchSettings, time_limit: float, parts: int = 1) -> _Search:
    # The support half on its own: a proven bound for any plan, and the matching to keep
    # when the teams allow it (the only rule joining the halves is the support conflict).
    support_time = min(30.0, 0.1 * time_limit)
    alone = best_support(inst, support_time, forbidden_by(inst, {}), settings.workers, settings.seed)
    modelled, quick = model_pairs(inst, alone.matching, 0.1 * time_limit, priced=parts > 1)
    pm = modelled.model(inst, alone)
    pm.hint(quick)
    deadline = settings.started + time_limit
    coupled = halves_may_meet(inst, alone) and not modelled.banned
    return _Search(inst, settings, deadline, alone, quick, coupled, modelled, pm)


@dataclass(frozen=True)
class ModelPairs:
    """The pairs the pairing model holds, and what a model of only those must report."""

    keep: set[tuple[str, str]] | None = None  # None: every eligible pair
    left_out: float | None = None  # proven floor of reviews halves using a pair not kept, pounds
    floor: float | None = None  # proven bound of the reviews half (the relaxation's), pounds
    staff_extra: dict[str, float] = field(default_factory=dict)  # review -> least extra cost of staffing it
    relaxation: Relaxation | None = None
    banned: frozenset[tuple[str, str]] = frozenset()  # visits that would break the support matching

    def model(self, inst: Instance, alone: SupportAnswer, with_support: bool = False) -> PairingModel:
        """The pairing model over these pairs (the joint model's figures hold the support
        half too: its proven bound alone adds to both)."""
        pm = PairingModel(inst, with_support=with_support, keep=self.keep)
        extra = alone.bound if with_support else 0.0
        pm.left_out = None if self.left_out is None else self.left_out + extra
        pm.floor = None if self.floor is None else self.floor + extra
        return pm


def model_pairs(
    inst: Instance, support: dict[str, str], time_limit: float, priced: bool = False
) -> tuple[ModelPairs, Teams]:
    """The pairs worth modelling, and the greedy pairing the search starts from.

    A cycle of up to FULL_MODEL_PAIRS eligible pairs is modelled whole, as before (140
    schools: about 4,000; the model proves them in seconds). A bigger one is priced by the
    LP (`relax.py`) and modelled with KEEP_PER_SEAT pairs per team seat of least extra cost,
    or all that could beat the greedy plan when they are at most PROOF_PER_SEAT, and those
    of the greedy and previous teams; its greedy follows the LP's optimum (measured, 600
    schools: 0.05 % above the LP's bound, against 1.3 % by cost alone). `priced`: run the
    LP even for a cycle modelled whole (a split cycle's parts need its prices)."""
    previous = previous_teams(inst)
    whole = len(inst.pairs) <= FULL_MODEL_PAIRS
    if whole and not priced:
        return ModelPairs(), greedy_teams(inst, support, start=previous)
    relaxation = relax(inst, time_limit)
    quick = greedy_teams(inst, support, start=previous, rank=relaxation.rank)
    if whole:
        plain = greedy_teams(inst, support, start=previous)
        if pairing_cost(inst, plain) <= pairing_cost(inst, quick):
            quick = plain
        return ModelPairs(None, None, relaxation.bound, relaxation.staff_extra, relaxation), quick
    must = {(rid, urn) for urn, rids in quick.items() for rid in rids}
    must |= {(rid, urn) for urn, rids in previous.items() for rid in rids}
    # The visits that would break the support half's best matching (rule 8's conflict) are
    # left out too: a handful of pairs, and the halves then never meet, so the joint model
    # is never needed (measured, 600 schools under load: it took the time dating needed).
    # A plan using one is still priced by `left_out`.
    banned = forbidding(inst, support)
    seats = sum(inst.sc.team_size_of(rv) for rv in inst.open_reviews)
    upper = pairing_cost(inst, quick)
    keep, left_out = relaxation.keep(KEEP_PER_SEAT * seats, must, banned, upper, PROOF_PER_SEAT * seats)
    return ModelPairs(keep, left_out, relaxation.bound, relaxation.staff_extra, relaxation, banned), quick


def _grow(s: _Search, joined: Joined) -> bool:
    """The model's optimum over its pairs is proven, not the cycle's: model the pairs that
    could still beat these teams too (up to PROOF_PER_SEAT a seat), and search on from them.
    False when there is nothing to add. (Measured: 1,500 schools settled its 30 pairs a seat
    in 110 s of 300, and 400 schools in under a minute, with time left to use.)"""
    m = s.modelled
    if m.keep is None or m.relaxation is None:
        return False
    seats = sum(s.inst.sc.team_size_of(rv) for rv in s.inst.open_reviews)
    keep, left_out = m.relaxation.grow(m.keep, m.banned, pairing_cost(s.inst, joined.teams), PROOF_PER_SEAT * seats)
    if len(keep) == len(m.keep):
        return False
    s.modelled = replace(m, keep=keep, left_out=left_out)
    s.pm = s.modelled.model(s.inst, s.alone)
    for ng in s.nogoods:
        s.pm.forbid_together(ng)
    s.pm.hint(joined.teams)
    s.continued = True
    return True


def _split_pair(s: _Search, parts: int, run_parts: RunParts) -> Pairing:
    """Step 1 split into parts, solved apart and merged (`split.py`). When the merged teams
    break a rule between parts, or a part gave no answer, the whole model searches on from
    them instead. The bound is the relaxation's (the parts are restrictions of the cycle)."""
    inst, settings, relaxation = s.inst, s.settings, s.modelled.relaxation
    assert relaxation is not None  # model_pairs(priced=True) when parts > 1
    keep = s.modelled.keep or set(inst.pairs)
    specs = partition(inst, keep, parts, s.quick, relaxation, settings.seed, settings.workers)
    if len(specs) < 2:
        return _pair(s, 0)
    share = 0.5  # the other half for the whole model, from the merged teams
    s.split_into = len(specs)
    results = run_parts(specs, max(0.2, s.time_left() * share - 0.2))
    merged = merge(inst, specs, results)
    if not merged.whole:
        s.pm.hint(merged.teams)
        return _pair(s, 0)
    bound = relaxation.bound + s.alone.bound
    s.bound = bound if s.bound is None else max(s.bound, bound)
    cost = pairing_cost(inst, merged.teams)
    if settings.on_progress:
        settings.on_progress(cost + s.alone.value, s.bound, time.monotonic() - settings.started)
    # Proven optimal only when the merged teams cost no more than the relaxation's bound.
    return Pairing(True, merged.teams, bound, cost <= relaxation.bound + 1e-6)


def _pair(s: _Search, attempt: int) -> Pairing:
    """Step 1, with this attempt's share of the time left (some is kept for dating and the
    plan; when the support conflict rule may join the halves, the first search gets half,
    so that the joint model has time if it is needed)."""
    if attempt == 0 and s.coupled:
        share = 0.5
    else:
        share = 0.85 if attempt == 0 or s.joint or s.continued else 0.5
    pairing = pair(s.pm, s.settings, max(0.2, s.time_left() * share - 0.2), None if s.joint else s.alone)
    if not pairing.found:  # no solution in the time (a tiny limit): the greedy teams, checked by dating
        return Pairing(False, s.quick if attempt == 0 else {}, None, False)
    if pairing.bound is not None:
        s.bound = pairing.bound if s.bound is None else max(s.bound, pairing.bound)
    return pairing


def _go_joint(s: _Search, joined: Joined) -> None:
    """These teams cost the support half more than it costs alone: solve both halves
    together, from this plan, keeping every cut made so far."""
    s.joint = True
    s.pm = s.modelled.model(s.inst, s.alone, with_support=True)
    s.pm.support_floor(s.alone.bound)
    for ng in s.nogoods:
        s.pm.forbid_together(ng)
    s.pm.hint(joined.teams, joined.support.matching)


def _repair(s: _Search, joined: Joined, dated: Dated) -> None:
    """Rule out each clashing combination and pair again from the rest of the answer."""
    for ng in nogoods_for(s.inst, joined.teams, dated.undated, s.settings.workers, s.settings.seed):
        s.nogoods.append(ng)
        s.pm.forbid_together(ng)
    clash = set(dated.undated)
    s.pm.hint({urn: rids for urn, rids in joined.teams.items() if urn not in clash}, joined.support.matching)


__all__ = ["solve", "search", "Scenario"]
