"""The local authority being invented, and the random draws every part of it uses.

One `random.Random` drives every choice, in a fixed order (calendar, towns, schools,
people, the cycle's work): a draw moved from one step to another changes every LA after
it, which tests/solver/test_generate.py would catch.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from .england import TAGS

Row = dict[str, Any]  # a school (or a person) while it is being made up


@dataclass
class LA:
    n: int
    rng: random.Random
    year: int
    review_share: float
    support_requests: int | None
    used_names: set[str] = field(default_factory=set)  # membership tests only: never iterated
    # Filled in step by step (see assemble.build).
    start: dt.date = dt.date.min
    end: dt.date = dt.date.min
    excluded: list[dt.date] = field(default_factory=list)
    school_days: list[dt.date] = field(default_factory=list)
    lat0: float = 0.0
    lon0: float = 0.0
    geo: Any = None
    la_code: str = ""
    towns: list[Row] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    by_urn: dict[str, Row] = field(default_factory=dict)
    trust_stems: list[str] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)
    requests: list[Row] = field(default_factory=list)
    providers: list[Row] = field(default_factory=list)
    conflicts: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)


def weighted(rng: random.Random, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


def sample_tags(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """k distinct tags drawn by weight; tags outside the weight table can still appear."""
    pool = {t: weights.get(t, 0.5) for t in TAGS}
    chosen: list[str] = []
    for _ in range(min(k, len(pool))):
        tags = list(pool)
        tag = rng.choices(tags, weights=[pool[t] for t in tags], k=1)[0]
        chosen.append(tag)
        del pool[tag]
    return sorted(chosen)


def allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainder)."""
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    wsum = sum(weights)
    exact = [rest * w / wsum for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [b + p for b, p in zip(base, parts)]


def round_to(x: float, step: float) -> float:
    return float(round(x / step) * step)
