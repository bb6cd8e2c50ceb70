"""Big cycles: the LP relaxation's bound and pair prices are honest, a model of some pairs
still reports a bound of the whole cycle, the support half's cap is exact, and unstaffed
reviews say whether leaving them so is proven. Small generated LAs, a few seconds each."""

from __future__ import annotations

import copy
import importlib
import time

import pytest
from ortools.sat.python import cp_model

from solver import check, load_scenario, solve
from solver import relax as relax_module
from solver.explain import Outcome, explain
from solver.generate import generate
from solver.instance import build_instance
from solver.model import SCALE, money
from solver.relax import relax
from solver.repair import dates_for, restaff
from solver.support import best_support, cost_of

# The module, not the function `solver.solve` that the package exports under its name.
solve_module = importlib.import_module("solver.solve")

# Proven optima (status OPTIMAL, seeds 1-3 of 60 schools) from before this work.
OPTIMA_60 = {1: 78612.134252, 2: 79801.424599, 3: 75073.079846}


@pytest.fixture(scope="module")
def optimal_60() -> dict[int, tuple[dict, dict]]:
    out = {}
    for seed in OPTIMA_60:
        sc = generate(60, seed)
        out[seed] = (sc, solve(copy.deepcopy(sc), time_limit=20, workers=1, seed=0))
    return out


def _reviews_half(inst, plan) -> float:
    """The plan's objective less its support half: what the pairing model minimises."""
    matching = {m["request"]: m["provider"] for m in plan["support"]}
    return plan["objective"] - cost_of(inst, matching)


def test_the_relaxation_bounds_every_proven_optimum(optimal_60):
    for seed, (sc, plan) in optimal_60.items():
        assert plan["status"] == "OPTIMAL" and plan["objective"] == pytest.approx(OPTIMA_60[seed], abs=0.01)
        inst = build_instance(load_scenario(sc))
        r = relax(inst, 10)
        half = _reviews_half(inst, plan)
        # A bound, and a close one (the LP is tight on these cycles).
        assert r.bound <= half + 1e-6
        assert half - r.bound < 0.01 * half


def test_a_pair_costs_at_least_its_price(optimal_60):
    # Any plan using a pair costs at least bound + that pair's extra: the optimum included.
    # (This is what makes leaving pairs out of the model safe.)
    for sc, plan in optimal_60.values():
        inst = build_instance(load_scenario(sc))
        r = relax(inst, 10)
        used = [(m["reviewer"], v["school_urn"]) for v in plan["reviews"] for m in v["team"]]
        worst = max(r.extra[p] for p in used)
        assert r.bound + worst <= _reviews_half(inst, plan) + 1e-6
        assert min(r.extra.values()) >= 0.0
        # The prices tell pairs apart: most cost something extra.
        assert sum(1 for e in r.extra.values() if e > 1.0) > len(r.extra) / 2


def test_the_bound_of_a_model_of_few_pairs_is_the_whole_cycles(monkeypatch, optimal_60):
    # Two pairs per team seat: far fewer than the cycle has. The plan is still valid and its
    # bound never exceeds the cycle's proven optimum.
    monkeypatch.setattr(solve_module, "FULL_MODEL_PAIRS", 0)
    monkeypatch.setattr(solve_module, "KEEP_PER_SEAT", 2)
    monkeypatch.setattr(solve_module, "PROOF_PER_SEAT", 2)
    for seed, (sc, _) in optimal_60.items():
        inst = build_instance(load_scenario(sc))
        assert len(inst.pairs) > 2 * 3 * len(inst.open_reviews)
        plan = solve(copy.deepcopy(sc), time_limit=8, workers=1, seed=0)
        assert check(sc, plan) == []
        assert plan["bound"] is not None and plan["bound"] <= OPTIMA_60[seed] + 1e-6
        if plan["status"] == "OPTIMAL":
            assert plan["objective"] == pytest.approx(OPTIMA_60[seed], abs=0.01)


def test_the_model_keeps_the_cheapest_pairs_and_the_hints(monkeypatch):
    sc = generate(60, 1)
    inst = build_instance(load_scenario(sc))
    r = relax(inst, 10)
    keep, left_out = r.keep(50, must={next(iter(inst.pairs))})
    assert next(iter(inst.pairs)) in keep and len(keep) <= 51
    assert left_out is not None
    assert left_out == pytest.approx(r.bound + min(r.extra[k] for k in inst.pairs if k not in keep))
    assert max(r.extra[k] for k in keep if k != next(iter(inst.pairs))) <= left_out - r.bound + 1e-9
    everything, none = r.keep(len(inst.pairs), set())
    assert everything == set(inst.pairs) and none is None


def test_the_lp_sees_few_pairs_and_prices_the_rest():
    sc = generate(140, 1)
    inst = build_instance(load_scenario(sc))
    r = relax(inst, 10)
    assert r.columns < len(inst.pairs) / 2
    # Column generation ended because no pair would lower the LP: the LP value and the
    # Lagrangian bound of every pair agree (to the margin taken off for rounding).
    assert r.rounds < relax_module.MAX_ROUNDS
    assert r.bound <= r.lp_value + 1e-6 and r.lp_value - r.bound < 1.0


def _support_without_cap(inst) -> float:
    """The support half solved to optimality by a plain CP-SAT model (no cap), for comparison."""
    sc = inst.sc
    reqs = {q.id: q for q in sc.support_requests}
    provs = {p.id: p for p in sc.providers}
    m = cp_model.CpModel()
    u = {k: m.new_bool_var(str(k)) for k in inst.support_pairs}
    for q in reqs:
        m.add_at_most_one([v for (qq, _), v in u.items() if qq == q])
    for p, prov in provs.items():
        m.add(sum(reqs[q].days * v for (q, pp), v in u.items() if pp == p) <= prov.capacity_days)
    m.add(
        sum(round(reqs[q].days * provs[p].day_rate * 100) * v for (q, p), v in u.items())
        <= round(sc.cycle.support_budget * 100)
    )
    pen = {q: money(sc.cycle.weights.unmet_support * reqs[q].priority) for q in reqs}
    m.minimize(sum((money(c) - pen[q]) * u[(q, p)] for (q, p), c in inst.support_pairs.items()) + sum(pen.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60
    solver.parameters.num_workers = 2
    assert solver.solve(m) == cp_model.OPTIMAL
    return solver.objective_value / SCALE


@pytest.mark.parametrize("n, seed", [(140, 1), (140, 3)])
def test_the_support_cap_keeps_the_optimum(n, seed):
    inst = build_instance(load_scenario(generate(n, seed)))
    answer = best_support(inst, 10.0, workers=2)
    assert answer.proven
    assert answer.value == pytest.approx(cost_of(inst, answer.matching))
    # The same optimum as the model without the cap (floored money: within a penny a request).
    assert answer.bound <= answer.value
    assert abs(answer.value - _support_without_cap(inst)) <= 0.01 * (1 + len(inst.sc.support_requests))


# --- unstaffed reviews: proven or not ------------------------------------------------------


def test_no_team_can_exist_is_proven(make, solved):
    sc = make(reviews=("S1", "S2"))
    # Every head but r2 and r3 is away all week: S2 can never have three reviewers.
    week = ["2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"]
    for r in sc["reviewers"][3:]:
        r["unavailable"] = week
    plan = solved(sc)
    entries = {u["school_urn"]: u for u in plan["unstaffed"]}
    assert set(entries) == {"S1", "S2"}
    for entry in entries.values():
        assert entry["proven"] is True
        assert entry["reasons"][-1].startswith("proven: no team can keep the rules")


def test_a_budget_that_pays_for_no_team_is_proven(make, solved):
    # The three cheapest heads cost 310 + 320 + 330 = 960 a day: a budget of 950 pays for none.
    plan = solved(make(backfill_budget=950.0))
    (entry,) = plan["unstaffed"]
    assert entry["proven"] is True and "no team can keep the rules" in entry["reasons"][-1]


def test_an_optimal_plan_proves_what_it_leaves_unstaffed(make, solved):
    # Budget for one team of three: S1 (priority 2) is staffed, S6 cannot be as well.
    sc = make(reviews=("S1", "S6"), backfill_budget=1100.0)
    sc["reviews"][0]["priority"] = 2
    plan = solved(sc)
    assert plan["status"] == "OPTIMAL"
    (entry,) = plan["unstaffed"]
    assert entry["school_urn"] == "S6" and entry["proven"] is True
    assert entry["reasons"][-1].startswith("proven: the plan is proven optimal")


def test_a_review_not_staffed_in_the_time_is_not_proven(make):
    # An outcome that simply left S1 unstaffed (a search stopped early): a team exists.
    sc = make()
    inst = build_instance(load_scenario(sc))
    outcome = Outcome(teams={}, dates={}, undated=[], support={}, bound=None, proven=False)
    plan = explain(inst, outcome, time.monotonic(), workers=1)
    assert check(sc, plan) == []
    (entry,) = plan["unstaffed"]
    assert entry["proven"] is False and entry["reasons"][-1].startswith("not proven")
    # With a proven floor of every plan staffing it at or above this plan's cost, it is.
    staffed_floor = {"S1": plan["objective"]}
    plan = explain(inst, Outcome({}, {}, [], {}, None, False, staffed_floor), time.monotonic(), workers=1)
    assert plan["unstaffed"][0]["proven"] is True


def test_the_checker_accepts_proven_and_refuses_other_values(make, solved):
    sc = make(backfill_budget=950.0)
    plan = solved(sc)
    assert check(sc, plan) == []
    del plan["unstaffed"][0]["proven"]  # optional: plans written before it stay valid
    assert check(sc, plan) == []
    plan["unstaffed"][0]["proven"] = "yes"
    problems = check(sc, plan)
    assert problems and "proven" in " ".join(problems)


# --- the last resort for a team without a date ---------------------------------------------


def test_a_team_without_a_date_is_restaffed_around_the_plan(make):
    # r3 may do two visits but is free on the Monday only: S1 and S2 cannot both have them.
    sc = make(n_schools=8, reviews=("S1", "S2"), policy={"reciprocal": "allow"})
    r3 = sc["reviewers"][2]
    r3["max_reviews"], r3["unavailable"] = 2, ["2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"]
    inst = build_instance(load_scenario(sc))
    teams = {"S1": ["r3", "r4", "r5"], "S2": ["r3", "r6", "r7"]}
    dated = dates_for(inst, teams, 5.0, 1, 0)
    assert len(dated.undated) == 1
    new_teams, redated = restaff(inst, teams, dated, {})
    assert redated.undated == [] and set(new_teams) == {"S1", "S2"}
    (moved,) = dated.undated
    assert "r3" not in new_teams[moved]  # r3 keeps the visit that was dated
    outcome = Outcome(new_teams, redated.dates, [], {}, None, False)
    plan = explain(inst, outcome, time.monotonic(), workers=1)
    assert plan["unstaffed"] == [] and check(sc, plan) == []


def test_restaffing_keeps_the_budget(make):
    # The same clash with money for four heads only: the second team cannot be paid for.
    sc = make(n_schools=8, reviews=("S1", "S2"), policy={"reciprocal": "allow"}, backfill_budget=1400.0)
    r3 = sc["reviewers"][2]
    r3["max_reviews"], r3["unavailable"] = 2, ["2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"]
    inst = build_instance(load_scenario(sc))
    teams = {"S1": ["r3", "r4", "r5"], "S2": ["r3", "r6", "r7"]}
    dated = dates_for(inst, teams, 5.0, 1, 0)
    new_teams, redated = restaff(inst, teams, dated, {})
    assert redated.undated == dated.undated and len(new_teams) == 1
