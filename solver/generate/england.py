"""What an English local authority looks like, in numbers: phases, specialisms, pay, policy."""

from __future__ import annotations

# Share of each phase among an LA's state-funded establishments (DfE school census order
# of magnitude); primary takes whatever is left. Nursery schools and sixth-form colleges
# appear only in a large LA: a 40-school LA rarely has one.
PHASE_SHARES = (("secondary", 0.14), ("special", 0.03), ("all-through", 0.01), ("pru", 0.01))

LARGE_LA_PHASE_SHARES = (("nursery", 0.006), ("16-plus", 0.004))

LARGE_LA = 200

TAGS = (
    "send",
    "maths",
    "english",
    "early-years",
    "behaviour",
    "safeguarding",
    "curriculum",
    "leadership",
    "attendance",
    "pupil-premium",
)

# What a reviewer from a school of each phase tends to know about; the weights steer the
# draw so that special-school heads are SEND people and PRU heads know behaviour.
TAG_WEIGHTS = {
    "nursery": {"early-years": 8, "send": 3, "safeguarding": 3},
    "primary": {
        "maths": 4,
        "english": 4,
        "early-years": 3,
        "send": 2,
        "curriculum": 3,
        "pupil-premium": 2,
        "safeguarding": 2,
        "leadership": 2,
        "attendance": 1,
        "behaviour": 1,
    },
    "middle": {"maths": 3, "english": 3, "curriculum": 3, "behaviour": 2},
    "secondary": {
        "maths": 3,
        "english": 3,
        "curriculum": 3,
        "behaviour": 3,
        "attendance": 3,
        "leadership": 3,
        "pupil-premium": 2,
        "safeguarding": 2,
        "send": 1,
    },
    "all-through": {"curriculum": 3, "leadership": 3, "maths": 2, "english": 2, "attendance": 2},
    "special": {"send": 9, "behaviour": 3, "safeguarding": 3, "curriculum": 1},
    "pru": {"behaviour": 8, "attendance": 5, "safeguarding": 4, "send": 3},
    "16-plus": {"curriculum": 3, "leadership": 3, "attendance": 2, "maths": 2},
}

# Neighbouring phases a head may be trusted to review as well as their own, with the
# chance of each (an all-through head knows both primary and secondary).
EXTRA_PHASES = {
    "nursery": (("primary", 0.4),),
    "primary": (("nursery", 0.15), ("all-through", 0.10), ("special", 0.06)),
    "middle": (("primary", 0.5), ("secondary", 0.5)),
    "secondary": (("all-through", 0.20), ("16-plus", 0.15), ("pru", 0.20), ("special", 0.05)),
    "all-through": (("primary", 1.0), ("secondary", 1.0)),
    "special": (("pru", 0.40), ("primary", 0.15), ("secondary", 0.15)),
    "pru": (("secondary", 0.5), ("special", 0.3)),
    "16-plus": (("secondary", 0.5),),
}

# Supply cover for a day out of school, by the home school's phase (pounds, 2025 rates).
DAY_RATES = {
    "nursery": (320, 450),
    "primary": (350, 550),
    "middle": (400, 600),
    "secondary": (450, 700),
    "all-through": (480, 700),
    "special": (400, 600),
    "pru": (420, 620),
    "16-plus": (450, 650),
}

ADVISER_DAY_RATE = (450, 650)

# LA school-improvement advisers: each covers the phases an LA usually pairs in one post,
# which is also what keeps the rare phases (special, PRU, 16-plus) reviewable.
ADVISER_POSTS = (
    ("inclusion", ("special", "pru", "primary", "secondary"), ("send", "behaviour", "attendance")),
    ("secondary", ("secondary", "all-through", "16-plus", "pru"), ("curriculum", "leadership", "maths")),
    ("primary", ("nursery", "primary", "all-through", "special"), ("early-years", "maths", "english")),
    ("standards", ("primary", "secondary", "all-through", "middle"), ("leadership", "safeguarding", "pupil-premium")),
)

DEFAULT_POLICY = {
    "same_cluster": "forbid",
    "same_trust": "forbid",
    "reciprocal": "forbid",
    "no_repeat_cycles": 2,
    "phase_match": "require",
    "max_travel_km": 40.0,
    "support_conflict": "forbid",
}

CONFLICT_REASONS = ("governor", "former employee", "family")
