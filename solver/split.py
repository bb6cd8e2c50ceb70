"""Split a big cycle's pairing into parts, solve the parts apart, merge them.

Pure functions, JSON in and out, so that the parts can run anywhere: one after another in
this process (`run_here`), or as RQ jobs on as many workers as are running
(`worker/fanout.py`). `solve.search` calls them in place of its first pairing search when
`solve(..., parts=k)` asks for k > 1 parts.

**Parts.** Each phase's reviews are laid along the LA's longer axis and cut into `k` runs,
so every part has its share of the scarce phases. The parts share the reviewers and the
budgets: each reviewer's visits and each budget's money are dealt out to the parts as the
LP's optimum (`relax.py`) uses them, the rest where it would help most. A part models the
pairs of its reviews with the reviewers who have a share in it.

**Merge.** The shares add up to the whole, so the parts' teams together keep capacity and
budgets. Reciprocity between schools of two parts is checked at the merge (and a head being
at home while their own school is visited by dating, which runs on the whole cycle after
the merge). When a check fails, or a part gave no answer in the time, the merged teams go
to the whole model as its hint instead.

**Bound.** A part with shares is a restriction of the cycle, so its bound is not one of the
cycle; the merged plan's bound is the relaxation's (`relax.py`: valid for every plan of the
cycle), with the support half's. The whole model's search, when it runs after the merge,
can only raise it (`pairing.model_bound`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .instance import Instance, build_instance
from .model import PairingModel
from .pairing import SearchSettings, Teams, pair
from .relax import Relaxation
from .scenario import load_scenario

MIN_REVIEWS_PER_PART = 6  # smaller parts are not worth a job

# A runner takes the parts' specs and each part's time, and returns each part's result (in
# order; None for a part that gave no answer).
RunParts = Callable[[list[dict], float], list[dict | None]]


def partition(
    inst: Instance, keep: set[tuple[str, str]], k: int, hint: Teams, relaxation: Relaxation, seed: int, workers: int
) -> list[dict]:
    """At most `k` parts (fewer when the cycle is small), each a JSON-able spec."""
    sc = inst.sc
    open_urns = sorted(rv.school_urn for rv in inst.open_reviews)
    k = max(1, min(k, len(open_urns) // MIN_REVIEWS_PER_PART))
    axis = _longer_axis(inst)
    by_phase: dict[str, list[str]] = defaultdict(list)
    for urn in open_urns:
        by_phase[sc.school_by_urn[urn].phase or ""].append(urn)
    part_of: dict[str, int] = {}
    for phase in sorted(by_phase):
        run = sorted(by_phase[phase], key=lambda u: (_position(inst, u, axis), u))
        for i, urn in enumerate(run):
            part_of[urn] = i * k // len(run)
    keep = _one_way_across(inst, keep, part_of, relaxation)
    capacity = _capacity_shares(inst, keep, k, part_of, relaxation)
    shares = _budget_shares(inst, k, part_of, relaxation)
    specs: list[dict] = []
    for p in range(k):
        reviews = [u for u in open_urns if part_of[u] == p]
        if not reviews:
            continue
        pairs = sorted((rid, urn) for rid, urn in keep if part_of[urn] == p and capacity[rid][p] > 0)
        inside = set(pairs)
        reviewers = sorted({rid for rid, _ in pairs})
        specs.append(
            {
                "index": len(specs),
                "reviews": reviews,
                "pairs": [list(pair) for pair in pairs],
                "capacity": {rid: capacity[rid][p] for rid in reviewers},
                "budgets": {"backfill": shares[None][p] if None in shares else None}
                | {"clusters": {name: cut[p] for name, cut in shares.items() if name is not None}},
                "hint": {
                    u: rids for u, rids in sorted(hint.items()) if u in reviews and all((r, u) in inside for r in rids)
                },
                "seed": seed,
                "workers": workers,
            }
        )
    return specs


def _one_way_across(
    inst: Instance, keep: set[tuple[str, str]], part_of: dict[str, int], relaxation: Relaxation
) -> set[tuple[str, str]]:
    """Reciprocity between two schools of different parts, settled before the parts are
    solved: of the two directions, only the one the LP's optimum uses more (else the
    cheaper by its prices) is modelled. Each part keeps rule 6 inside itself."""
    if not inst.rules.reciprocity_applies():
        return keep
    home = {r.id: r.school_urn or "" for r in inst.sc.reviewers}  # "": no home school, no direction
    use: dict[tuple[str, str], float] = defaultdict(float)
    least: dict[tuple[str, str], float] = {}
    for key in keep:
        rid, urn = key
        d = (home[rid], urn)
        if d[0] in part_of and part_of[d[0]] != part_of[urn]:
            use[d] += relaxation.lp_use.get(key, 0.0)
            least[d] = min(least.get(d, math.inf), relaxation.extra.get(key, 0.0))
    dropped = set()
    for a, b in least:
        if (b, a) in least and (a, b) < (b, a):
            ab = (-use[(a, b)], least[(a, b)], a)
            ba = (-use[(b, a)], least[(b, a)], b)
            dropped.add((b, a) if ab <= ba else (a, b))
    return {key for key in keep if (home[key[0]], key[1]) not in dropped}


def _capacity_shares(
    inst: Instance, keep: set[tuple[str, str]], k: int, part_of: dict[str, int], relaxation: Relaxation
) -> dict[str, list[int]]:
    """Each reviewer's visits left, dealt out to the parts: first what the LP's optimum uses
    in each (whole visits, then the largest fractions), the rest where their pairs cost
    least beyond the LP's prices. The shares add up to the capacity: merged teams keep it."""
    used: dict[str, list[float]] = defaultdict(lambda: [0.0] * k)
    for (rid, urn), x in relaxation.lp_use.items():
        used[rid][part_of[urn]] += x
    wanted: dict[str, list[float]] = defaultdict(lambda: [0.0] * k)
    for rid, urn in keep:
        wanted[rid][part_of[urn]] += 1.0 / (1.0 + relaxation.extra.get((rid, urn), 0.0))
    out: dict[str, list[int]] = {}
    for rid in sorted(wanted):
        cap = max(0, inst.capacity[rid])
        lp, score = used.get(rid, [0.0] * k), wanted[rid]
        share = [min(int(x + 1e-6), cap) for x in lp]
        while sum(share) > cap:  # never: the LP keeps capacity; a guard for its rounding
            share[share.index(max(share))] -= 1
        order = sorted(range(k), key=lambda p: (-(lp[p] - share[p]), -score[p], p))
        order += sorted(range(k), key=lambda p: (-score[p], p))
        for p in order:
            if sum(share) >= cap:
                break
            if score[p] > 0:
                share[p] += 1
        out[rid] = share
    return out


def _budget_shares(
    inst: Instance, k: int, part_of: dict[str, int], relaxation: Relaxation
) -> dict[str | None, list[float]]:
    """Each budget's money left (None: the LA's backfill budget), dealt out to the parts:
    what the LP's optimum spends in each, and the rest by their numbers of reviews. Shares
    are whole pence, rounded down, so that merged teams keep the budget."""
    sc = inst.sc
    c = sc.cycle
    limits: dict[str | None, float] = {}
    if c.backfill_budget is not None:
        limits[None] = c.backfill_budget - inst.fixed_backfill
    for name, limit in c.cluster_budgets.items():
        limits[name] = limit - inst.fixed_cluster_backfill[name]
    reviews = [0] * k
    for p in part_of.values():
        reviews[p] += 1
    out: dict[str | None, list[float]] = {}
    for budget, limit in limits.items():
        spend = [0.0] * k
        for (rid, urn), x in relaxation.lp_use.items():
            r = sc.reviewer_by_id[rid]
            home = inst.rules.home(r)
            if budget is None or (home is not None and home.cluster == budget):
                spend[part_of[urn]] += x * r.day_rate * c.visit_days
        slack = max(0.0, limit - sum(spend))
        share = [min(limit, spend[p] + slack * reviews[p] / max(1, sum(reviews))) for p in range(k)]
        while sum(share) > limit + 1e-9:  # the LP spent no more than the limit; a guard for rounding
            share = [x * limit / sum(share) for x in share]
        out[budget] = [math.floor(x * 100) / 100 for x in share]
    return out


def _longer_axis(inst: Instance) -> int:
    """0: north-south, 1: east-west, whichever the schools spread further along."""
    pts = [(s.lat, s.lon) for s in inst.sc.schools if s.lat is not None and s.lon is not None]
    if not pts:
        return 0
    lat_span = max(p[0] for p in pts) - min(p[0] for p in pts)
    mid = math.radians(sum(p[0] for p in pts) / len(pts))
    lon_span = (max(p[1] for p in pts) - min(p[1] for p in pts)) * math.cos(mid)
    return 0 if lat_span >= lon_span else 1


def _position(inst: Instance, urn: str, axis: int) -> float:
    school = inst.sc.school_by_urn[urn]
    if school.lat is None or school.lon is None:
        return math.inf  # no coordinates: at the end of the run
    return (school.lat, school.lon)[axis]


def solve_part(scenario: dict, spec: dict, time_limit: float, stop: threading.Event | None = None) -> dict:
    """One part's pairing: the same cycle with only this part's reviews open, its pairs
    modelled, and its shares of the reviewers' capacity and of the budgets."""
    started = time.monotonic()
    sc = load_scenario(scenario)
    inst = build_instance(sc, only=set(spec["reviews"]))
    inst.capacity.update(spec["capacity"])
    budgets = spec["budgets"]
    shares: dict[str | None, float] = dict(budgets["clusters"])
    if budgets["backfill"] is not None:
        shares[None] = budgets["backfill"]
    pm = PairingModel(inst, keep={(r, u) for r, u in spec["pairs"]}, shares=shares)
    pm.hint(spec["hint"])
    settings = SearchSettings(spec["workers"], spec["seed"], None, False, None, stop, started)
    left = max(0.2, time_limit - (time.monotonic() - started))
    found = pair(pm, settings, left, None)
    return {
        "index": spec["index"],
        "found": found.found,
        "teams": found.teams if found.found else spec["hint"],
        "optimal": found.optimal,  # of the part with its shares (not of the cycle)
        "seconds": round(time.monotonic() - started, 3),
    }


def run_here(scenario: dict, stop: threading.Event | None = None) -> RunParts:
    """A runner solving the parts one after another in this process (each its share of the time)."""

    def run(specs: list[dict], time_limit: float) -> list[dict | None]:
        out: list[dict | None] = []
        deadline = time.monotonic() + time_limit
        for i, spec in enumerate(specs):
            share = max(0.2, (deadline - time.monotonic()) / (len(specs) - i))
            out.append(solve_part(scenario, spec, share, stop))
        return out

    return run


@dataclass(frozen=True)
class Merged:
    teams: Teams
    whole: bool  # every part answered, and the merged teams keep capacity, budgets and reciprocity


def merge(inst: Instance, specs: list[dict], results: list[dict | None]) -> Merged:
    """The parts' teams together (a part without an answer: its hint), and whether they make
    a pairing of the whole cycle. Shares keep capacity and budgets by construction; they are
    checked again here, with reciprocity between schools of two parts."""
    teams: Teams = {}
    answered = [r for r in results if r is not None and r.get("found")]
    for spec, result in zip(specs, results):
        for urn, rids in (result["teams"] if result is not None else spec["hint"]).items():
            teams[urn] = list(rids)
    whole = (
        len(answered) == len(specs)
        and keeps_capacity(inst, teams)
        and keeps_budgets(inst, teams)
        and keeps_reciprocity(inst, teams)
    )
    return Merged(teams, whole)


def keeps_capacity(inst: Instance, teams: Teams) -> bool:
    load = Counter(rid for rids in teams.values() for rid in rids)
    return all(n <= inst.capacity[rid] for rid, n in load.items())


def keeps_budgets(inst: Instance, teams: Teams) -> bool:
    """Do these teams (with the fixed visits) keep the backfill and cluster budgets?"""
    sc = inst.sc
    c = sc.cycle
    pence: Counter = Counter()
    for rids in teams.values():
        for rid in rids:
            r = sc.reviewer_by_id[rid]
            cost = round(r.day_rate * c.visit_days * 100)
            pence[None] += cost
            home = inst.rules.home(r)
            if home is not None and home.cluster in c.cluster_budgets:
                pence[home.cluster] += cost
    if c.backfill_budget is not None and pence[None] > math.floor(
        (c.backfill_budget - inst.fixed_backfill) * 100 + 1e-6
    ):
        return False
    for name, limit in c.cluster_budgets.items():
        if pence[name] > math.floor((limit - inst.fixed_cluster_backfill[name]) * 100 + 1e-6):
            return False
    return True


def keeps_reciprocity(inst: Instance, teams: Teams) -> bool:
    """Rule 6 across the merged teams (and the fixed visits)."""
    if not inst.rules.reciprocity_applies():
        return True
    sc = inst.sc
    visits = {(sc.reviewer_by_id[rid].school_urn, urn) for urn, rids in teams.items() for rid in rids}
    visits |= {(sc.reviewer_by_id[m.reviewer].school_urn, urn) for urn, pv in inst.fixed.items() for m in pv.team}
    return not any((b, a) in visits for a, b in visits if a is not None)
