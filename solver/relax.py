"""The reviews half's LP relaxation: a proven bound, and which pairs are worth modelling.

A big LA has hundreds of thousands of eligible (reviewer, school) pairs (1,500 schools:
about 480,000), nearly all of which no good plan uses. This module prices them:

1. **LP by column generation.** The pairing model's LP relaxation (teams, leads, capacity,
   budgets; reciprocity and the date cuts left out, which only relaxes it) is solved by GLOP
   over a few cheap pairs per review; every other pair is priced with the duals (numpy, all
   at once) and the ones that would lower the LP join it, until none would.
2. **Lagrangian bound.** Capacity and budgets are priced with the LP's duals (clipped to
   their signs) and dropped; what is left falls apart into one small problem per review
   (its cheapest whole team with a lead, or unstaffed), solved exactly here. For *any*
   multipliers of the right sign the result is a lower bound of every plan's reviews half
   (weak duality: a plan keeps capacity and budgets, so the priced terms only lower its
   cost), so the bound does not rest on the LP solver's accuracy. Sums are done in floats
   and a margin is taken off for their rounding.
3. **Which pairs to model.** For each pair, `extra` is how much more the Lagrangian costs
   when that pair is forced into its review's team: any plan using the pair costs at least
   `bound + extra`. The model keeps the pairs of least extra; for the pairs left out,
   `left_out = bound + least extra among them` is a proven floor of every plan using one.
   So the cycle's reviews half is at least `min(the reduced model's bound, left_out)`: a
   proven bound of the whole problem, not only of the reduced model (`pairing.pair`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from .instance import Instance

CHEAP_PER_SEAT = 3  # the first LP's pairs: this many per team seat, the cheapest
MAX_ROUNDS = 40  # of column generation; the bound is valid whenever it stops
KEEP_PER_SEAT = 30  # a model of at most this many pairs per team seat (all of them when fewer)
PROOF_PER_SEAT = 80  # ... or up to this many when they are all that could beat the greedy plan


@dataclass(frozen=True)
class Relaxation:
    bound: float  # proven lower bound of every plan's reviews half, pounds
    extra: dict[tuple[str, str], float]  # pair -> proven least extra cost of using it
    staff_extra: dict[str, float]  # review -> proven least extra cost of staffing it
    lp_value: float  # the LP optimum over the pairs it saw (for the log, not a bound)
    lp_use: dict[tuple[str, str], float]  # the LP optimum's pairs and their (fractional) values
    rounds: int
    columns: int  # pairs the LP saw
    seconds: float

    def rank(self, rid: str, urn: str) -> tuple[float, float]:
        """A pair's place in the greedy's order: the LP optimum's pairs first (most used
        first), then by least extra cost."""
        return (-round(self.lp_use.get((rid, urn), 0.0), 6), self.extra.get((rid, urn), math.inf))

    def grow(
        self, kept: set[tuple[str, str]], banned: frozenset[tuple[str, str]], upper: float, most: int
    ) -> tuple[set[tuple[str, str]], float | None]:
        """`kept` and the pairs that could still beat a plan whose reviews half is `upper`
        (the cheapest of them, up to `most` pairs in all), never a `banned` one; and the
        proven floor of any plan using a pair left out."""
        useful = sorted(
            (k for k in self.extra if self.bound + self.extra[k] <= upper and k not in kept and k not in banned),
            key=lambda k: (self.extra[k], k),
        )
        grown = kept | set(useful[: max(0, most - len(kept))])
        rest = [e for k, e in self.extra.items() if k not in grown]
        return grown, (self.bound + min(rest)) if rest else None

    def keep(
        self,
        limit: int,
        must: set[tuple[str, str]],
        banned: frozenset[tuple[str, str]] = frozenset(),
        upper: float | None = None,
        most: int = 0,
    ) -> tuple[set[tuple[str, str]], float | None]:
        """The `limit` pairs of least extra (and the `must` pairs), never a `banned` one, and
        the proven floor of any plan using a pair left out (None when none is left out).
        `upper`, a plan's reviews half: when at most `most` pairs have an extra that could
        still beat it, those are kept instead; then every pair left out is proven useless
        (its floor is above that plan), and a proof of the model is a proof of the cycle."""
        order = sorted(self.extra, key=lambda k: (self.extra[k], k))
        if upper is not None:
            useful = [k for k in order if self.bound + self.extra[k] <= upper]
            if len(useful) <= most:
                limit = max(limit, len(useful))
        kept = (set(order[:limit]) | must) - banned
        rest = [self.extra[k] for k in self.extra if k not in kept]
        return kept, (self.bound + min(rest)) if rest else None


class _Arrays:
    """The pairs as flat arrays (one entry per eligible pair), and the reviews half's constant."""

    def __init__(self, inst: Instance):
        sc = inst.sc
        c, w = sc.cycle, sc.cycle.weights
        self.keys = list(inst.pairs)
        self.reviews = [rv.school_urn for rv in inst.open_reviews]
        self.review_at = {urn: i for i, urn in enumerate(self.reviews)}
        reviewers = sorted({rid for rid, _ in self.keys})
        self.reviewer_at = {rid: i for i, rid in enumerate(reviewers)}
        self.reviewers = reviewers
        prev = {(m.reviewer, pv.school_urn) for pv in sc.previous if pv.school_urn not in inst.fixed for m in pv.team}
        change = w.change
        # The model's objective: pair costs, less `change` for a previous pair kept, plus a
        # constant (every review unstaffed, every previous pair dropped).
        self.cost = np.array([p.cost - (change if k in prev else 0.0) for k, p in inst.pairs.items()], dtype=np.float64)
        self.constant = sum(w.unstaffed * rv.priority for rv in inst.open_reviews) + change * len(prev)
        self.ui = np.array([self.review_at[u] for _, u in self.keys], dtype=np.int64)
        self.ri = np.array([self.reviewer_at[r] for r, _ in self.keys], dtype=np.int64)
        by_id = sc.reviewer_by_id
        self.lead = np.array([by_id[r].lead_accredited for r, _ in self.keys], dtype=bool)
        self.backfill = np.array([by_id[r].day_rate * c.visit_days for r, _ in self.keys], dtype=np.float64)
        self.size = np.array([sc.team_size_of(rv) for rv in inst.open_reviews], dtype=np.int64)
        self.penalty = np.array([w.unstaffed * rv.priority for rv in inst.open_reviews], dtype=np.float64)
        self.capacity = np.array([inst.capacity[r] for r in reviewers], dtype=np.float64)
        self.lead_required = c.lead_required
        # Budgets: (limit left after the fixed visits, which pairs it counts).
        self.budgets: list[tuple[float, np.ndarray]] = []
        if c.backfill_budget is not None:
            self.budgets.append((c.backfill_budget - inst.fixed_backfill, np.ones(len(self.keys), dtype=bool)))
        for name, limit in c.cluster_budgets.items():
            mask = np.array(
                [(h := inst.rules.home(by_id[r])) is not None and h.cluster == name for r, _ in self.keys], dtype=bool
            )
            if mask.any():
                self.budgets.append((limit - inst.fixed_cluster_backfill[name], mask))


def relax(inst: Instance, time_limit: float) -> Relaxation:
    """The LP relaxation, its Lagrangian bound and every pair's extra cost."""
    started = time.monotonic()
    a = _Arrays(inst)
    lam = np.zeros(len(a.reviewers))
    mu = np.zeros(len(a.budgets))
    lp_value, rounds, columns = float("nan"), 0, 0
    lp_use: dict[tuple[str, str], float] = {}
    if len(a.keys):
        lp = _ColumnLp(a)
        lp.add(_cheapest(a))
        while True:
            rounds += 1
            lp_value, lam, mu, rc = lp.solve_and_price()
            new = np.flatnonzero((rc < -1e-7) & ~lp.has)
            if not len(new) or rounds >= MAX_ROUNDS or time.monotonic() - started > time_limit:
                break
            lp.add(_most_negative(a, new, rc))
        columns = int(lp.has.sum())
        lp_use = lp.used()
    bound, extra, staff_extra = _lagrangian(a, lam, mu)
    return Relaxation(
        bound=bound,
        extra=dict(zip(a.keys, extra.tolist())),
        staff_extra={urn: float(staff_extra[i]) for i, urn in enumerate(a.reviews)},
        lp_value=lp_value,
        lp_use=lp_use,
        rounds=rounds,
        columns=columns,
        seconds=time.monotonic() - started,
    )


def _cheapest(a: _Arrays) -> np.ndarray:
    """The first LP's pairs: for each review the cheapest few, and its cheapest leads."""
    order = np.lexsort((a.cost, a.ui))
    ui = a.ui[order]
    starts = np.searchsorted(ui, np.arange(len(a.reviews)))
    rank = np.arange(len(order)) - starts[ui]
    take = rank < CHEAP_PER_SEAT * a.size[ui]
    leads = order[a.lead[order]]
    lead_rank = np.arange(len(leads)) - np.searchsorted(a.ui[leads], a.ui[leads])
    return np.union1d(order[take], leads[lead_rank < 2])


def _most_negative(a: _Arrays, new: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """Of the pairs that would lower the LP, the most negative few per review (adding all
    at once makes a big LP for nothing: most are priced out again by the next duals)."""
    order = new[np.lexsort((rc[new], a.ui[new]))]
    ui = a.ui[order]
    first = np.searchsorted(ui, ui)
    return order[(np.arange(len(order)) - first) < 2 * a.size[ui]]


class _ColumnLp:
    """The LP over a growing set of pairs (GLOP keeps its basis between solves)."""

    def __init__(self, a: _Arrays):
        self.a = a
        lp = self.lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:
            raise RuntimeError("OR-Tools was built without GLOP")
        inf = lp.infinity()
        self.obj = lp.Objective()
        self.has = np.zeros(len(a.keys), dtype=bool)
        self.x: dict[int, pywraplp.Variable] = {}
        self.team, self.lead = [], []
        for u in range(len(a.reviews)):
            y = lp.NumVar(0.0, 1.0, "")
            self.obj.SetCoefficient(y, -float(a.penalty[u]))
            team = lp.Constraint(0.0, 0.0)  # sum x - size y == 0
            team.SetCoefficient(y, -float(a.size[u]))
            self.team.append(team)
            if a.lead_required:
                lead = lp.Constraint(0.0, inf)  # sum of leads' x - y >= 0
                lead.SetCoefficient(y, -1.0)
                self.lead.append(lead)
        self.cap = [lp.Constraint(-inf, float(cap)) for cap in a.capacity]
        self.budget = [lp.Constraint(-inf, float(limit)) for limit, _ in a.budgets]
        self.obj.SetMinimization()

    def used(self) -> dict[tuple[str, str], float]:
        """The pairs the last LP optimum uses, with their values."""
        return {self.a.keys[j]: x.solution_value() for j, x in self.x.items() if x.solution_value() > 1e-6}

    def add(self, idx: np.ndarray) -> None:
        a, lp = self.a, self.lp
        for j in idx.tolist():
            if self.has[j]:
                continue
            self.has[j] = True
            x = self.x[j] = lp.NumVar(0.0, 1.0, "")
            self.obj.SetCoefficient(x, float(a.cost[j]))
            u = int(a.ui[j])
            self.team[u].SetCoefficient(x, 1.0)
            if a.lead_required and a.lead[j]:
                self.lead[u].SetCoefficient(x, 1.0)
            self.cap[int(a.ri[j])].SetCoefficient(x, 1.0)
            for k, (_, mask) in enumerate(a.budgets):
                if mask[j]:
                    self.budget[k].SetCoefficient(x, float(a.backfill[j]))

    def solve_and_price(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Solve; the LP value, the capacity and budget prices (>= 0), every pair's reduced cost."""
        a = self.a
        status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            # No duals to trust (cannot happen: y = 0, x = 0 is always feasible): price nothing.
            return float("nan"), np.zeros(len(a.reviewers)), np.zeros(len(a.budgets)), np.zeros(len(a.keys))
        pi = np.array([c.dual_value() for c in self.team])
        sigma = np.array([c.dual_value() for c in self.lead]) if a.lead_required else None
        # A <= row's dual is <= 0 in a minimisation; its price in the Lagrangian is minus that.
        lam = np.maximum(0.0, -np.array([c.dual_value() for c in self.cap]))
        mu = np.maximum(0.0, -np.array([c.dual_value() for c in self.budget]))
        rc = a.cost - pi[a.ui] + lam[a.ri] + _budget_price(a, mu)
        if sigma is not None:
            rc -= np.where(a.lead, sigma[a.ui], 0.0)
        return self.obj.Value() + a.constant, lam, mu, rc


def _budget_price(a: _Arrays, mu: np.ndarray) -> np.ndarray:
    price = np.zeros(len(a.keys))
    for k, (_, mask) in enumerate(a.budgets):
        if mu[k] > 0:
            price += np.where(mask, mu[k] * a.backfill, 0.0)
    return price


def _lagrangian(a: _Arrays, lam: np.ndarray, mu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The Lagrangian bound for these prices (any prices >= 0 give a valid bound), each
    pair's least extra cost, and each review's least extra cost of being staffed."""
    n = len(a.keys)
    price = a.cost + lam[a.ri] + _budget_price(a, mu) if n else np.zeros(0)
    extra = np.zeros(n)
    staff_extra = np.full(len(a.reviews), np.inf)
    total = a.constant - float(lam @ a.capacity) - sum(float(m) * limit for m, (limit, _) in zip(mu, a.budgets))
    order = np.lexsort((price, a.ui)) if n else np.zeros(0, dtype=np.int64)
    bounds = np.searchsorted(a.ui[order], np.arange(len(a.reviews) + 1)) if n else np.zeros(1, dtype=np.int64)
    for u in range(len(a.reviews)):
        seg = order[bounds[u] : bounds[u + 1]] if n else order
        best, with_pair = _team_prices(price[seg], a.lead[seg], int(a.size[u]), a.lead_required)
        penalty = float(a.penalty[u])
        chosen = min(best, penalty)  # staffed by its best team, or unstaffed (cost 0 - penalty + penalty)
        total += chosen - penalty  # the constant holds every review unstaffed
        if len(seg):
            extra[seg] = np.maximum(0.0, with_pair - chosen)
        staff_extra[u] = max(0.0, best - chosen)
    # Float sums of money: a margin far above their rounding error keeps the bound a bound.
    margin = 1e-9 * (abs(a.constant) + float(np.abs(price).sum())) + 0.01
    return total - margin, extra, staff_extra


def _team_prices(price: np.ndarray, lead: np.ndarray, size: int, lead_required: bool) -> tuple[float, np.ndarray]:
    """For one review (its pairs sorted by price): the cheapest whole team's price, and for
    each pair the cheapest whole team that holds it (inf when no team exists)."""
    n = len(price)
    with_pair = np.full(n, np.inf)
    if n < size or (lead_required and not lead.any()):
        return float("inf"), with_pair
    first = float(price[:size].sum())
    need_lead = lead_required and not lead[:size].any()
    leads = np.flatnonzero(lead)
    if need_lead:
        best = float(price[: size - 1].sum() + price[leads[0]])
    else:
        best = first
    # A pair in the first `size` (which hold a lead, or none is needed): the best team when
    # it is one; else a lower estimate that drops the lead condition for it (still a bound).
    inside = np.arange(n) < size
    with_pair[inside] = best if not need_lead else first
    head = float(price[: size - 1].sum())  # the size-1 cheapest others, for a pair beyond them
    with_pair[~inside] = head + price[~inside]
    if lead_required and need_lead:
        # Beyond the first `size`: a lead completes the cheapest size-1; a non-lead needs the
        # cheapest lead among the team too (size-2 cheapest + that lead + it).
        nonlead = ~lead & ~inside
        if size >= 2:
            with_pair[nonlead] = float(price[: size - 2].sum()) + float(price[leads[0]]) + price[nonlead]
        else:
            with_pair[nonlead] = np.inf
    return best, with_pair
