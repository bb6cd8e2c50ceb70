"""Tiny hand-made scenarios for the solver tests: each test bends one rule and watches it bind."""

from __future__ import annotations

import copy

import pytest

from solver import check, solve

# One school week, Monday 7 to Friday 11 September 2026.
WEEK = ["2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"]


def base_scenario(n_schools: int = 6, reviews=("S1",), **cycle) -> dict:
    """n primary schools a few km apart, each in its own cluster with one lead-accredited head
    (day rate rising with the number: r1 is the cheapest), reviews of the given schools."""
    schools = [
        {
            "urn": f"S{i}",
            "name": f"School {i}",
            "phase": "primary",
            "cluster": f"C{i}",
            "lat": 52.0 + 0.01 * i,
            "lon": -1.5,
        }
        for i in range(1, n_schools + 1)
    ]
    reviewers = [
        {"id": f"r{i}", "school_urn": f"S{i}", "lead_accredited": True, "day_rate": 300.0 + 10 * i, "max_reviews": 1}
        for i in range(1, n_schools + 1)
    ]
    c = {"window": {"start": WEEK[0], "end": WEEK[-1]}}
    c.update(cycle)
    return {
        "version": 1,
        "cycle": c,
        "schools": schools,
        "reviewers": reviewers,
        "reviews": [{"school_urn": u} for u in reviews],
    }


def run(scenario: dict, time_limit: float = 5.0, **kw) -> dict:
    """Solve, and insist the plan passes the independent checker (unless INFEASIBLE)."""
    plan = solve(copy.deepcopy(scenario), time_limit=time_limit, workers=kw.pop("workers", 1), **kw)
    if plan["status"] != "INFEASIBLE":
        problems = check(scenario, plan)
        assert problems == [], problems
    return plan


def team_of(plan: dict, urn: str) -> list[str]:
    visit = next(v for v in plan["reviews"] if v["school_urn"] == urn)
    return sorted(m["reviewer"] for m in visit["team"])


def visit_of(plan: dict, urn: str) -> dict | None:
    return next((v for v in plan["reviews"] if v["school_urn"] == urn), None)


@pytest.fixture
def scenario():
    return base_scenario()


# Helpers reach the tests as fixtures: conftest modules are not importable by name under
# pytest's importlib import mode.
@pytest.fixture
def make():
    return base_scenario


@pytest.fixture
def solved():
    return run


@pytest.fixture
def team():
    return team_of


@pytest.fixture
def visit():
    return visit_of
