"""The groups model (scenario v1.1) on a generated LA: trios or quads, with three rounds behind them.

`as_groups(scenario, rng, ...)` turns a generated v1 cycle into a v1.1 groups cycle of the same
LA: most schools take part (those with a reviewer); heads commit to the visits of a group;
visits last 1 day at a small primary to 3 at a large secondary; some reviews want a follow-up
or offer dates; the LA's accredited advisers are the facilitator pool (leading where no head of
the team may); the groups of the last three rounds are in `group_history`, and each head's
visits in them in `history`, so rotation and the load across cycles both bind.

It draws from its own `random.Random` (seeded apart), after the v1 cycle is complete, so the v1
generation stays exactly what it was (tests/solver/test_generate.py pins it).
"""

from __future__ import annotations

import datetime as dt
import random

from ..costs import haversine_km
from .england import TAG_WEIGHTS
from .la import sample_tags, weighted

VISIT_LENGTHS = [
    {"phase": "secondary", "min_pupils": 1200, "days": 3},
    {"phase": "all-through", "min_pupils": 0, "days": 3},
    {"phase": "secondary", "min_pupils": 0, "days": 2},
    {"phase": "16-plus", "min_pupils": 0, "days": 2},
    {"phase": None, "min_pupils": 500, "days": 2},
]
SHARE_TAKING_PART = 0.85
ROUNDS_BEHIND = 3
MAX_TRAVEL_KM = 8.0
LEAD_TRAINED = 0.5  # of the heads not yet accredited, the share a programme has trained


def as_groups(scenario: dict, rng: random.Random, *, min_size: int = 3, max_size: int = 3) -> dict:
    """A v1.1 groups cycle of the LA of this generated v1 `scenario` (which is not changed)."""
    sc = {**scenario, "cycle": dict(scenario["cycle"])}
    schools = scenario["schools"]
    by_urn = {s["urn"]: s for s in schools}
    staffed = {p["school_urn"] for p in scenario["reviewers"] if p["school_urn"] is not None}
    year = int(scenario["cycle"]["window"]["start"][:4])
    days = _school_days(scenario)

    taking_part = sorted(s["urn"] for s in schools if s["urn"] in staffed and rng.random() < SHARE_TAKING_PART)
    reviews = []
    for urn in taking_part:
        s = by_urn[urn]
        review: dict = {
            "school_urn": urn,
            "priority": weighted(rng, (1, 2, 3), (80, 15, 5)),
            "focus": sample_tags(rng, TAG_WEIGHTS[s["phase"]], weighted(rng, (0, 1, 2), (25, 45, 30))),
        }
        if rng.random() < 0.3:
            review["follow_up"] = True
        if rng.random() < 0.15:
            # The host offers a handful of dates (a governors' week, a quiet fortnight).
            review["offered_dates"] = sorted(d for d in rng.sample(days, min(len(days), rng.randint(4, 8))))
        reviews.append(review)

    people = []
    for p in scenario["reviewers"]:
        p = dict(p)
        if p["school_urn"] in taking_part and p["role"] == "headteacher":
            p["max_reviews"] = max(p["max_reviews"], max_size - 1)  # a head commits to their group's visits
            # Programmes train their heads to lead reviews: most are accredited after a round or two.
            p["lead_accredited"] = p["lead_accredited"] or rng.random() < LEAD_TRAINED
        people.append(p)
    # The pool: the LA's accredited advisers, and paid facilitators (retired heads, consultants)
    # enough to lead where a team has no accredited head.
    width = len(people[0]["id"]) - 2 if people else 4
    for k in range(max(2, round(len(taking_part) / 25))):
        people.append(
            {
                "id": f"f-{k + 1:0{width}d}",
                "name": f"Facilitator {k + 1}",
                "school_urn": None,
                "role": "facilitator",
                "lead_accredited": True,
                "phases": ["nursery", "primary", "middle", "secondary", "all-through", "special", "pru", "16-plus"],
                "specialisms": sample_tags(rng, {}, rng.randint(1, 2)),
                "max_reviews": rng.randint(10, 16),
                "day_rate": float(round(rng.uniform(550, 650))),
                "unavailable": sorted(rng.sample(days, rng.randint(0, 6))),
            }
        )
    pool = [p["id"] for p in people if p["school_urn"] is None and p["lead_accredited"]]

    history_groups = _past_rounds(rng, schools, staffed, min_size)
    heads = {p["school_urn"]: p["id"] for p in people if p["role"] == "headteacher" and p["school_urn"]}
    history = [
        {"reviewer": heads[a], "school_urn": b, "cycles_ago": g["cycles_ago"]}
        for g in history_groups
        for a in g["schools"]
        for b in g["schools"]
        if a != b and a in heads
    ]
    for g in history_groups:
        g["name"] = f"{year - g['cycles_ago']}-{(year - g['cycles_ago'] + 1) % 100:02d}"

    sc["version"] = "1.1"
    sc["cycle"].update(
        {
            "name": sc["cycle"]["name"].replace(
                "school peer review",
                f"peer review in groups of {min_size}" + (f"-{max_size}" if max_size > min_size else ""),
            ),
            "backfill_budget": None,
            "cluster_budgets": {},
            "support_budget": None,
            "model": "groups",
            "groups": {
                "min_size": min_size,
                "max_size": max_size,
                "avoid_rounds": 2,
                "facilitator": "optional" if pool else "none",
                "facilitators": pool,
            },
            "visit_lengths": VISIT_LENGTHS,
            "follow_up": {"days": 1, "min_weeks": 2, "max_weeks": 6},
            "load": {
                "cycles": ROUNDS_BEHIND,
                "max_total": ROUNDS_BEHIND * (max_size - 1) + max_size - 1,
                "max_spread": ROUNDS_BEHIND * (max_size - 1) + 1,
            },
            "policy": {
                "same_cluster": "allow",
                "same_trust": "allow",
                "reciprocal": "allow",
                "no_repeat_cycles": 0,  # rotation (group_history) keeps groups new
                "phase_match": "require",
                "max_travel_km": MAX_TRAVEL_KM,
                "support_conflict": "forbid",
            },
        }
    )
    sc["reviewers"] = people
    sc["reviews"] = reviews
    sc["conflicts"] = [c for c in scenario["conflicts"] if "reviewer" in c]
    sc["history"] = history
    sc["group_history"] = history_groups
    sc["support"] = {"requests": [], "providers": []}
    return sc


def _school_days(scenario: dict) -> list[str]:
    c = scenario["cycle"]
    start, end = dt.date.fromisoformat(c["window"]["start"]), dt.date.fromisoformat(c["window"]["end"])
    excluded = set(c["excluded_dates"])
    out = []
    d = start
    while d <= end:
        if d.weekday() < 5 and d.isoformat() not in excluded:
            out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


def _past_rounds(rng: random.Random, schools: list[dict], staffed: set[str], size: int) -> list[dict]:
    """Three earlier rounds of groups among the schools then taking part: each round, schools
    of one phase near each other (as the LA would have grouped them), never a pair of the round
    before (so the history itself keeps rotation)."""
    out: list[dict] = []
    recent: set[frozenset[str]] = set()
    for ago in range(ROUNDS_BEHIND, 0, -1):
        part = [s for s in schools if s["urn"] in staffed and rng.random() < SHARE_TAKING_PART]
        rng.shuffle(part)
        free = {s["urn"] for s in part}
        pairs: set[frozenset[str]] = set()
        for s in part:
            if s["urn"] not in free:
                continue
            near = sorted(
                (
                    (haversine_km(s["lat"], s["lon"], t["lat"], t["lon"]), t["urn"])
                    for t in part
                    if t["urn"] in free
                    and t["urn"] != s["urn"]
                    and t["phase"] == s["phase"]
                    and frozenset((s["urn"], t["urn"])) not in recent
                ),
            )
            group = [s["urn"]]
            for km, urn in near:
                if km > MAX_TRAVEL_KM or len(group) == size:
                    break
                if all(frozenset((urn, g)) not in recent for g in group):
                    group.append(urn)
            if len(group) == size:
                free -= set(group)
                out.append({"schools": sorted(group), "cycles_ago": ago})
                pairs |= {frozenset((a, b)) for a in group for b in group if a != b}
        recent = pairs
    out.sort(key=lambda g: (g["cycles_ago"], g["schools"]))
    return out
