"""The steps in their order, and the scenario v1 dict they add up to."""

from __future__ import annotations

import random

from ..scenario import DEFAULT_WEIGHTS
from .england import DEFAULT_POLICY
from .geography import add_schools, add_towns
from .groups import as_groups
from .la import LA
from .people import add_reviewers
from .term import add_calendar
from .work import add_conflicts, add_history, add_reviews, add_support, size_budgets


def generate(
    schools: int,
    seed: int = 0,
    *,
    year: int = 2026,
    review_share: float = 0.33,
    support_requests: int | None = None,
    model: str = "teams",
    group_sizes: tuple[int, int] = (3, 3),
) -> dict:
    """A scenario v1 dict for an invented LA of `schools` schools; same arguments, same dict.

    `model="groups"` makes it a v1.1 groups cycle of the same LA (`groups.as_groups`), in
    groups of `group_sizes` (min, max) schools."""
    if not isinstance(schools, int) or schools < 1:
        raise ValueError("schools must be a positive integer")
    if not 0 < review_share <= 1:
        raise ValueError("review_share must be in (0, 1]")
    if support_requests is not None and support_requests < 0:
        raise ValueError("support_requests must be >= 0")
    # Seeding with a string mixes every argument into the stream, so LAs of 140 and 141
    # schools under one seed are independent draws, not prefixes of each other.
    if model not in ("teams", "groups"):
        raise ValueError("model must be teams or groups")
    lo, hi = group_sizes
    if not 2 <= lo <= hi <= 6:
        raise ValueError("group sizes must be 2 <= min <= max <= 6")
    rng = random.Random(f"peer-review-la:{schools}:{seed}:{year}")  # nosec B311 # test data from a seed, not secrets
    scenario = build(LA(schools, rng, year, review_share, support_requests))
    if model == "groups":
        # A stream of its own: the v1 cycle above is drawn exactly as without it.
        return as_groups(
            scenario,
            random.Random(f"peer-review-groups:{schools}:{seed}:{year}"),  # nosec B311 # test data from a seed
            min_size=lo,
            max_size=hi,
        )
    return scenario


def build(la: LA) -> dict:
    add_calendar(la)
    add_towns(la)
    add_schools(la)
    add_reviewers(la)
    add_reviews(la)
    add_support(la)
    add_conflicts(la)
    add_history(la)
    budgets = size_budgets(la)
    biggest_town = la.towns[0]["name"]
    schools = [
        {
            "urn": r["urn"],
            "name": r["name"],
            "la_code": la.la_code,
            "phase": r["phase"],
            "cluster": r["cluster"],
            "trust": r["trust"],
            "lat": la.geo.to_latlon(*r["xy"])[0],
            "lon": la.geo.to_latlon(*r["xy"])[1],
            "pupils": r["pupils"],
            "closed_dates": r["closed_dates"],
        }
        for r in la.rows
    ]
    return {
        "version": 1,
        "cycle": {
            "name": f"Autumn {la.year} school peer review ({biggest_town} and district)",
            "window": {"start": la.start.isoformat(), "end": la.end.isoformat()},
            "excluded_dates": [d.isoformat() for d in la.excluded],
            "freeze_before": None,
            "team_size": 3,
            "visit_days": 1,
            "lead_required": True,
            **budgets,
            "policy": dict(DEFAULT_POLICY),
            "weights": dict(DEFAULT_WEIGHTS),
        },
        "schools": schools,
        "reviewers": la.people,
        "reviews": la.reviews,
        "conflicts": la.conflicts,
        "history": la.history,
        "support": {"requests": la.requests, "providers": la.providers},
        "previous": [],
    }
