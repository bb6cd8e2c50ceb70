"""The solver's checker, as the service shows its problems: rule, label, path, who, date, school.

`rule` is the rule's key as the solver names it (`availability`), `label` how messages name
it (`rule 4 (availability)`); `school_urn` and, for a rule broken by a visit but by no day of
it, `date` come from the visit the problem's path points at.
"""

from __future__ import annotations

import re

from solver.check import Problem, check_problems
from solver.rules import RULE_BY_KEY

_VISIT = re.compile(r"reviews\[(\d+)\]")


def problems(scenario: dict, plan: dict) -> list[dict]:
    """Every broken rule of `plan` for `scenario` (empty: the plan keeps them all)."""
    return [structured(p, plan) for p in check_problems(scenario, plan)]


def structured(problem: Problem, plan: dict) -> dict:
    rule = RULE_BY_KEY.get(problem.rule)
    index = _VISIT.match(problem.path or "")
    visits = plan.get("reviews") or []
    visit = visits[int(index[1])] if index and int(index[1]) < len(visits) else {}
    return {
        "rule": problem.rule,
        "label": rule.label if rule else problem.rule,
        "path": problem.path,
        "school_urn": visit.get("school_urn"),
        "who": list(problem.who),
        "date": problem.date or visit.get("date"),
        "message": problem.message,
    }


def key(problem: dict) -> str:
    """The same problem in two plans (a visit's index in `reviews` may differ between them)."""
    return _VISIT.sub("reviews[]", problem["message"])
