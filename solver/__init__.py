"""The review-cycle solver: scenario v1 (or v1.1) in, plan v1 (or v1.1) out (pure Python + OR-Tools CP-SAT).

from solver import solve, load_scenario, check, check_problems
plan = solve(scenario_dict, time_limit=30, workers=2)
problems = check_problems(scenario_dict, plan)  # [] or Problem(rule, path, who, date, message)s
"""

from .check import CheckReport, Problem, check, check_problems, check_report
from .dispatch import solve
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "solve",
    "check",
    "check_problems",
    "check_report",
    "CheckReport",
    "Problem",
    "load_scenario",
    "Scenario",
    "ScenarioError",
]
