"""The groups model (scenario v1.1): trios and quads that review each other, new groups each round.

from solver.groups import solve_groups   # or solver.solve, which calls it for model: groups
"""

from .solve import solve_groups

__all__ = ["solve_groups"]
