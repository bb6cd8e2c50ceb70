"""solve(scenario) -> plan: the solver of the scenario's programme model.

`teams` (v1's model, and every v1 scenario) goes to `solve.solve`; `groups` (v1.1) to
`groups.solve_groups`.
"""

from __future__ import annotations

from .groups import solve_groups
from .scenario import load_scenario
from .solve import solve as solve_teams


def solve(scenario, **options) -> dict:
    """Solve one cycle (options as `solve.solve`: time_limit, workers, seed, on_progress, stop,
    gap_limit, log, parts, run_parts). Raises `scenario.ScenarioError` for bad input; never
    half-answers."""
    sc = load_scenario(scenario)
    if sc.groups_model:
        # The groups model is solved whole: splitting the first search is the teams model's.
        options.pop("parts", None)
        options.pop("run_parts", None)
        return solve_groups(sc, **options)
    return solve_teams(scenario, **options)
