"""The cycle's work and its limits: the reviews, school-to-school support, declared
conflicts, earlier cycles' visits, and budgets sized to be demanding but staffable."""

from __future__ import annotations

import math

from .england import CONFLICT_REASONS, TAG_WEIGHTS
from .geography import dist
from .la import LA, Row, round_to, sample_tags, weighted


def add_reviews(la: LA) -> None:
    rng = la.rng
    n_reviews = max(1, min(la.n, round(la.review_share * la.n)))
    chosen = rng.sample(la.rows, n_reviews)
    chosen.sort(key=lambda r: r["urn"])
    days = la.school_days
    out = []
    for r in chosen:
        review = {
            "school_urn": r["urn"],
            "priority": weighted(rng, (1, 2, 3), (70, 20, 10)),
            "focus": sample_tags(rng, TAG_WEIGHTS[r["phase"]], weighted(rng, (0, 1, 2), (25, 45, 30))),
            "team_size": None,
            "earliest": None,
            "latest": None,
        }
        if rng.random() < 0.04:
            # A very small school gets a pair; a very large secondary a team of four.
            if r["pupils"] < 160:
                review["team_size"] = 2
            elif r["pupils"] > 1300:
                review["team_size"] = 4
        if rng.random() < 0.12 and len(days) >= 30:
            # A new head starting after October, or a visit wanted before an expected
            # inspection: leave at least three school weeks to choose from.
            kind = weighted(rng, ("earliest", "latest", "both"), (40, 40, 20))
            lo = rng.randint(5, len(days) - 21)
            hi = rng.randint(lo + 15, len(days) - 1)
            if kind in ("earliest", "both"):
                review["earliest"] = days[lo].isoformat()
            if kind in ("latest", "both"):
                review["latest"] = days[hi].isoformat()
        out.append(review)
    la.reviews = out


def add_support(la: LA) -> None:
    rng, rows = la.rng, la.rows
    n_providers = max(1, round(0.06 * la.n))
    n_requests = la.support_requests if la.support_requests is not None else max(1, round(0.08 * la.n))
    # National and local leaders of education are heads of larger, strong schools.
    pool = list(rows)
    weights = [math.sqrt(r["pupils"]) for r in pool]
    providers_rows = []
    for _ in range(min(n_providers, len(pool))):
        i = rng.choices(range(len(pool)), weights=weights, k=1)[0]
        providers_rows.append(pool.pop(i))
        weights.pop(i)
    providers_rows.sort(key=lambda r: r["urn"])
    pw = max(2, len(str(len(providers_rows))))
    providers = []
    for i, r in enumerate(providers_rows):
        providers.append(
            {
                "id": f"p-{i + 1:0{pw}d}",
                "school_urn": r["urn"],
                "capacity_days": rng.randint(5, 20),
                "day_rate": float(round(rng.uniform(300, 500))),
                "specialisms": sample_tags(rng, TAG_WEIGHTS[r["phase"]], rng.randint(1, 3)),
            }
        )
    provider_urns = {r["urn"] for r in providers_rows}
    askers = [r for r in rows if r["urn"] not in provider_urns]
    n_requests = min(n_requests, len(askers))
    request_rows = sorted(rng.sample(askers, n_requests), key=lambda r: r["urn"])
    sw = max(2, len(str(n_requests)))
    requests = [
        {
            "id": f"s-{i + 1:0{sw}d}",
            "school_urn": r["urn"],
            "days": rng.randint(2, 10),
            "focus": sample_tags(rng, TAG_WEIGHTS[r["phase"]], weighted(rng, (1, 2), (60, 40))),
            "priority": weighted(rng, (1, 2), (60, 40)),
        }
        for i, r in enumerate(request_rows)
    ]
    # Demand must not outrun what providers can give, or the budget is not the limit.
    demand = sum(q["days"] for q in requests)
    i = 0
    while providers and sum(p["capacity_days"] for p in providers) < demand and i < 10 * len(providers):
        if providers[i % len(providers)]["capacity_days"] < 20:
            providers[i % len(providers)]["capacity_days"] += 1
        i += 1
    la.requests, la.providers = requests, providers


def add_conflicts(la: LA) -> None:
    rng = la.rng
    out: list[Row] = []
    seen: set[tuple[str, str]] = set()
    homed = [p for p in la.people if p["school_urn"] is not None]
    review_urns = [v["school_urn"] for v in la.reviews]
    want = max(2, round(0.025 * la.n))
    for _ in range(want * 5):
        if len(out) >= want or not homed:
            break
        person = rng.choice(homed)
        home = la.by_urn[person["school_urn"]]
        # A conflict matters where the reviewer would otherwise be a candidate: a
        # school under review in a nearby town, not their own cluster.
        near = [
            u
            for u in review_urns
            if u != home["urn"]
            and la.by_urn[u]["cluster"] != home["cluster"]
            and dist(la.by_urn[u]["xy"], home["xy"]) < 20
        ]
        if not near:
            continue
        urn = rng.choice(near)
        if (person["id"], urn) in seen:
            continue
        seen.add((person["id"], urn))
        out.append(
            {"reviewer": person["id"], "school_urn": urn, "reason": weighted(rng, CONFLICT_REASONS, (50, 30, 20))}
        )
    for _ in range(rng.randint(1, 2)):
        if not la.providers:
            break
        provider = rng.choice(la.providers)
        targets = [q["school_urn"] for q in la.requests if q["school_urn"] != provider["school_urn"]]
        if not targets:
            break
        urn = rng.choice(targets)
        if (provider["id"], urn) in seen:
            continue
        seen.add((provider["id"], urn))
        out.append(
            {
                "provider": provider["id"],
                "school_urn": urn,
                "reason": weighted(rng, ("governor", "former employee"), (60, 40)),
            }
        )
    la.conflicts = out


def add_history(la: LA) -> None:
    """Earlier cycles: about 30% of reviewers visited one or two schools they could visit now."""
    rng = la.rng
    out = []
    # Bucket schools by town so the "nearby" search stays cheap at 1000 schools.
    by_town: dict[int, list[dict]] = {}
    for r in la.rows:
        by_town.setdefault(r["town"], []).append(r)
    for person in la.people:
        if rng.random() >= 0.30:
            continue
        home = la.by_urn.get(person["school_urn"]) if person["school_urn"] else None
        if home is None:
            towns = [rng.randrange(len(la.towns))]
        else:
            hc = la.towns[home["town"]]["centre"]
            towns = sorted(range(len(la.towns)), key=lambda t: dist(la.towns[t]["centre"], hc))[:3]
        options = [
            r
            for t in towns
            for r in by_town.get(t, [])
            if r["phase"] in person["phases"]
            and (home is None or (r["urn"] != home["urn"] and r["cluster"] != home["cluster"]))
        ]
        if not options:
            options = [r for r in la.rows if home is None or r["urn"] != home["urn"]]
        if not options:
            continue
        for past in rng.sample(options, min(len(options), rng.randint(1, 2))):
            out.append(
                {
                    "reviewer": person["id"],
                    "school_urn": past["urn"],
                    "cycles_ago": weighted(rng, (1, 2, 3), (40, 35, 25)),
                }
            )
    la.history = out


def size_budgets(la: LA) -> dict:
    rng = la.rng
    active = [p for p in la.people if p["max_reviews"] > 0]
    avg_rate = sum(p["day_rate"] for p in active) / len(active) if active else 450.0
    team_places = sum(v["team_size"] or 3 for v in la.reviews)
    expected = team_places * 1 * avg_rate  # visit_days is 1
    backfill = round_to(expected * rng.uniform(1.05, 1.2), 100)
    # Cap the clusters that supply the most reviewers a little below their fair share,
    # so the budget steers the choice without starving any review.
    capacity: dict[str, int] = {}
    for p in active:
        if p["school_urn"]:
            c = la.by_urn[p["school_urn"]]["cluster"]
            capacity[c] = capacity.get(c, 0) + p["max_reviews"]
    total_capacity = sum(p["max_reviews"] for p in active) or 1
    n_capped = 0 if len(capacity) < 2 else 1 if len(capacity) <= 3 else 2
    biggest = sorted(capacity, key=lambda c: (-capacity[c], c))[: n_capped + 2]
    cluster_budgets = {}
    for c in sorted(rng.sample(biggest, n_capped)):
        share = capacity[c] / total_capacity * expected
        cluster_budgets[c] = max(round_to(share * rng.uniform(0.75, 0.95), 50), 50.0)
    if la.requests and la.providers:
        rate = sum(p["day_rate"] for p in la.providers) / len(la.providers)
        demand = sum(q["days"] for q in la.requests)
        support = round_to(demand * rate * rng.uniform(0.70, 0.85), 100)
    else:
        support = 0.0
    return {"backfill_budget": backfill, "cluster_budgets": cluster_budgets, "support_budget": support}
