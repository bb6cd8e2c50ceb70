"""Helpers of the worker tests (a module name of its own: each test folder has a conftest)."""

from __future__ import annotations

import time


def la_scenario(schools: int, seed: int = 1) -> dict:
    """An invented LA whose cycle is next year's autumn term, so it is live (not over) today."""
    from solver.generate import generate

    return generate(schools, seed=seed, year=2027)


def wait_solve(api, solve_id, timeout=60.0, until=("finished", "failed", "cancelled")):
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/api/v1/solves/{solve_id}").json
        if body["status"] in until or time.monotonic() > deadline:
            return body
        time.sleep(0.1)
