"""A synthetic but credible English local-authority autumn review cycle (scenario v1).

`generate(schools, seed)` invents one local authority: a handful of towns around a
centre in the Midlands, schools scattered around them in the proportions of an English
LA, multi-academy trusts spanning neighbouring towns, headteachers and deputies who
review each other, a few LA advisers, the real autumn-term calendar of the year, and
budgets sized so that the cycle is demanding but largely staffable. It is the benchmark
and demo data of the project, so it is deterministic: one `random.Random`, seeded from
(schools, seed, year), drives every choice, and nothing iterates a set or reads the clock.

Command line (wired into ``python -m solver generate``)::

    python -m solver generate --schools 140 --seed 3 --out autumn.json

The parts: `england` (the shape of an English LA), `term` (the calendar), `geography`
(towns, schools, clusters, trusts), `words` (names), `people` (reviewers), `work`
(reviews, support, conflicts, history, budgets), `assemble` (the order, and the dict).
"""

from .assemble import generate
from .cli import add_arguments, main, run
from .england import TAGS

__all__ = ["generate", "main", "run", "add_arguments", "TAGS"]
