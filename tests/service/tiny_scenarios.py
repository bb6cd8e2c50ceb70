"""Tiny scenarios for the service's tests (solved in well under a second)."""

import copy

# Six Trafford primary schools (real URNs, names and places), two clusters.
SCHOOLS = [
    ("106283", "Navigation Primary School", "Altrincham", 53.39631, -2.34818),
    ("106284", "Stamford Park Infant School", "Altrincham", 53.38571, -2.33838),
    ("106285", "Stamford Park Junior School", "Altrincham", 53.38592, -2.33768),
    ("106288", "Well Green Primary School", "Sale", 53.40280, -2.32770),
    ("106289", "Broadheath Primary School", "Sale", 53.40213, -2.36054),
    ("106290", "Oldfield Brow Primary School", "Sale", 53.39530, -2.37140),
]

TINY = {
    "version": 1,
    "cycle": {
        "name": "Autumn 2026 primary peer review",
        "window": {"start": "2026-09-07", "end": "2026-09-18"},
        "excluded_dates": ["2026-09-11"],
        "team_size": 2,
        "policy": {"same_cluster": "allow"},
    },
    "schools": [
        {
            "urn": urn,
            "name": name,
            "la_code": "358",
            "phase": "primary",
            "cluster": cluster,
            "lat": lat,
            "lon": lon,
            "pupils": 210,
        }
        for urn, name, cluster, lat, lon in SCHOOLS
    ],
    "reviewers": [
        {
            "id": f"r-{i + 1:02d}",
            "name": f"Head {i + 1}",
            "school_urn": urn,
            "lead_accredited": i % 2 == 0,
            "specialisms": ["maths"] if i < 3 else ["send"],
            "max_reviews": 1,
            "day_rate": 400.0 + 10 * i,
        }
        for i, (urn, *_rest) in enumerate(SCHOOLS)
    ],
    "reviews": [
        {"school_urn": "106283", "priority": 2, "focus": ["send"]},
        {"school_urn": "106288", "focus": ["maths"]},
    ],
    "conflicts": [{"reviewer": "r-06", "school_urn": "106283", "reason": "governor"}],
    "history": [{"reviewer": "r-05", "school_urn": "106288", "cycles_ago": 1}],
    "support": {
        "requests": [{"id": "s-01", "school_urn": "106285", "days": 2, "focus": ["maths"]}],
        "providers": [
            {"id": "p-01", "school_urn": "106289", "capacity_days": 4, "day_rate": 300.0, "specialisms": ["maths"]}
        ],
    },
}


def tiny(**cycle_changes) -> dict:
    scenario = copy.deepcopy(TINY)
    scenario["cycle"].update(cycle_changes)
    return scenario
