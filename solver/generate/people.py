"""Who reviews: heads and some deputies of the schools, and a few LA advisers."""

from __future__ import annotations

from .england import ADVISER_DAY_RATE, ADVISER_POSTS, DAY_RATES, EXTRA_PHASES, TAG_WEIGHTS
from .la import LA, sample_tags, weighted
from .term import some_school_days
from .words import person_name


def add_reviewers(la: LA) -> None:
    rng = la.rng
    people = []
    for r in la.rows:
        kind = weighted(rng, ("none", "head", "head+deputy"), (8, 82, 10))
        if kind == "none":
            continue
        roles = ["headteacher"] + (["deputy"] if kind == "head+deputy" else [])
        for role in roles:
            phase = r["phase"]
            phases = [phase] + [p for p, chance in EXTRA_PHASES[phase] if rng.random() < chance]
            specs = sample_tags(rng, TAG_WEIGHTS[phase], weighted(rng, (0, 1, 2, 3), (15, 35, 35, 15)))
            if (
                "special" not in phases
                and "send" in specs
                and phase in ("primary", "secondary")
                and rng.random() < 0.25
            ):
                phases.append("special")  # a SENCo-turned-head is welcome in a special school
            lo, hi = DAY_RATES[phase]
            rate = rng.uniform(lo, hi)
            if role == "deputy":
                rate *= 0.85  # cover for a deputy costs less than for a head
                lead = rng.random() < 0.15
                cap = weighted(rng, (1, 2), (75, 25))
            else:
                lead = rng.random() < 0.47
                cap = weighted(rng, (1, 2, 3), (45, 45, 10))
            people.append(
                {
                    "name": person_name(la),
                    "school_urn": r["urn"],
                    "role": role,
                    "lead_accredited": lead,
                    "phases": phases,
                    "specialisms": specs,
                    "max_reviews": cap,
                    "day_rate": float(round(rate)),
                    "unavailable": some_school_days(la, weighted(rng, range(5), (30, 25, 20, 15, 10))),
                }
            )
    # Order by home school as an officer's spreadsheet would, then the advisers.
    people.sort(key=lambda p: (p["school_urn"], p["role"] != "headteacher"))
    # Even a small LA keeps three posts (inclusion, secondary, primary): with only a
    # couple of secondaries, its heads alone could never make up a secondary team.
    n_advisers = max(3, round(la.n * 0.025))
    for a in range(n_advisers):
        _, covered, leaning = ADVISER_POSTS[a % len(ADVISER_POSTS)]
        specs = sorted(set(rng.sample(leaning, rng.randint(1, 2))) | set(sample_tags(rng, {}, rng.randint(0, 1))))
        lo, hi = ADVISER_DAY_RATE
        people.append(
            {
                "name": person_name(la),
                "school_urn": None,
                "role": "adviser",
                "lead_accredited": rng.random() < 0.8,
                "phases": list(covered),
                "specialisms": specs,
                "max_reviews": rng.randint(2, 3),
                "day_rate": float(round(rng.uniform(lo, hi))),
                "unavailable": some_school_days(la, weighted(rng, range(5), (20, 25, 25, 20, 10))),
            }
        )
    width = max(4, len(str(len(people))))
    la.people = [{"id": f"r-{i + 1:0{width}d}", **p} for i, p in enumerate(people)]
