"""The review-cycle solver: scenario v1 in, plan v1 out (pure Python + OR-Tools CP-SAT).

    from solver import solve, load_scenario, check
    plan = solve(scenario_dict, time_limit=30, workers=2)
"""
from .check import check, check_report
from .scenario import Scenario, ScenarioError, load_scenario
from .solve import solve

__all__ = ["solve", "check", "check_report", "load_scenario", "Scenario", "ScenarioError"]
