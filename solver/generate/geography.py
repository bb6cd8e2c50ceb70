"""Where the schools are: towns around a centre in the Midlands, schools scattered around
them, clusters (a town, or a sector of a large one), multi-academy trusts reaching into
the next town, each school's phase, size and closure days."""

from __future__ import annotations

import datetime as dt
import math

from .england import LARGE_LA, LARGE_LA_PHASE_SHARES, PHASE_SHARES
from .la import LA, Row, allocate, weighted
from .words import AREA_SUFFIXES, COMPASS, school_name, town_name, trust_name

KM_PER_DEG_LAT = 111.2


class Geo:
    """A local flat projection in kilometres: ample for picking neighbours in one LA."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat0))

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return (round(self.lat0 + y / KM_PER_DEG_LAT, 6), round(self.lon0 + x / self.km_per_deg_lon, 6))


def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def add_towns(la: LA) -> None:
    rng, n = la.rng, la.n
    la.lat0 = round(rng.uniform(52.25, 52.75), 4)
    la.lon0 = round(rng.uniform(-2.25, -1.45), 4)
    la.geo = Geo(la.lat0, la.lon0)
    k = max(3, min(12, n // 15))
    # Town sizes fall off like a real county: one large town, a few market towns.
    weights = [rng.uniform(0.7, 1.3) / (i + 1) ** 0.8 for i in range(k)]
    sizes = allocate(n, weights, minimum=min(6, n // k))
    radius = 25.0
    centres: list[tuple[float, float]] = []
    for i in range(k):
        best: tuple[float, tuple[float, float]] | None = None
        for _ in range(200):
            if i == 0:
                r, a = 5.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            else:
                r, a = radius * math.sqrt(rng.uniform(0.05, 1.0)), rng.uniform(0, 2 * math.pi)
            p = (r * math.cos(a), r * math.sin(a))
            gap = min((dist(p, c) for c in centres), default=math.inf)
            if best is None or gap > best[0]:
                best = (gap, p)
            if gap >= 7.0:
                break
        assert best is not None  # the loop ran at least once
        centres.append(best[1])
    used_parts: list[str] = []
    la.towns = [{"name": town_name(la, used_parts), "centre": c, "size": s} for c, s in zip(centres, sizes)]


def draw_phases(la: LA) -> list[str]:
    n = la.n
    shares = list(PHASE_SHARES) + (list(LARGE_LA_PHASE_SHARES) if n >= LARGE_LA else [])
    counts = {p: round(n * s) for p, s in shares}
    if n >= 2 and counts["secondary"] == 0:
        counts["secondary"] = 1  # every LA has somewhere for its eleven-year-olds
    counts = {p: c for p, c in counts.items() if c}
    primary = n - sum(counts.values())
    phases = ["primary"] * primary + [p for p, c in counts.items() for _ in range(c)]
    la.rng.shuffle(phases)
    return phases


def draw_pupils(la: LA, phase: str) -> int:
    rng = la.rng
    if phase == "primary":
        # Primary schools come in forms of entry: 1FE is 210 pupils, 2FE 420.
        fe = weighted(rng, (0.5, 1, 1.5, 2, 3), (10, 40, 10, 30, 10))
        return max(100, min(650, round(fe * 210 * rng.uniform(0.78, 1.04))))
    if phase == "secondary":
        return max(600, min(1800, round(rng.gauss(1100, 300))))
    lo, hi = {
        "nursery": (50, 150),
        "special": (50, 250),
        "pru": (20, 90),
        "all-through": (900, 2000),
        "16-plus": (500, 2200),
        "middle": (300, 700),
    }[phase]
    return rng.randint(lo, hi)


def add_schools(la: LA) -> None:
    rng = la.rng
    phases = draw_phases(la)
    la.la_code = str(rng.randint(801, 938))
    rows: list[Row] = []
    i = 0
    for t, town in enumerate(la.towns):
        cx, cy = town["centre"]
        # Big towns sprawl further; a market town's schools lie within a couple of km.
        sigma = 1.0 + 0.3 * math.sqrt(town["size"])
        for _ in range(town["size"]):
            x = cx + max(-3, min(3, rng.gauss(0, 1))) * sigma
            y = cy + max(-3, min(3, rng.gauss(0, 1))) * sigma
            rows.append({"phase": phases[i], "town": t, "xy": (x, y)})
            i += 1
    la.rows = rows
    add_clusters(la)
    add_trusts(la)
    # Academies got their URNs when they converted (136000 on); maintained schools
    # keep the old, lower numbers.
    academies = [r for r in rows if r["trust"] is not None]
    maintained = [r for r in rows if r["trust"] is None]
    for r, urn in zip(academies, rng.sample(range(136000, 150000), len(academies))):
        r["urn"] = str(urn)
    for r, urn in zip(maintained, rng.sample(range(100000, 127000), len(maintained))):
        r["urn"] = str(urn)
    for r in rows:
        town = la.towns[r["town"]]["name"]
        r["name"] = school_name(la, r["phase"], town, r["trust"] is not None)
        r["pupils"] = draw_pupils(la, r["phase"])
    add_closed_dates(la)
    rows.sort(key=lambda r: r["urn"])
    la.by_urn = {r["urn"]: r for r in rows}


def add_clusters(la: LA) -> None:
    """Small towns are one cluster; big ones are cut into sub-areas of 10 to 16."""
    for t, town in enumerate(la.towns):
        members = [r for r in la.rows if r["town"] == t]
        k = 1 if len(members) <= 20 else math.ceil(len(members) / 16)
        if k == 1:
            for r in members:
                r["cluster"] = town["name"]
            continue
        cx, cy = town["centre"]
        groups: list[list[dict]] = []
        rest = members
        if k >= 5:
            # The town centre is a cluster of its own, the rest are sectors around it.
            rest = sorted(members, key=lambda r: dist(r["xy"], (cx, cy)))
            size = len(members) // k
            groups.append(rest[:size])
            rest = rest[size:]
        sectors = k - len(groups)
        rest = sorted(rest, key=lambda r: math.atan2(r["xy"][1] - cy, r["xy"][0] - cx))
        for part in allocate(len(rest), [1.0] * sectors):
            groups.append(rest[:part])
            rest = rest[part:]
        taken: list[str] = []
        for g, group in enumerate(groups):
            if k >= 5 and g == 0:
                label = "Central"
            else:
                dx = sum(r["xy"][0] - cx for r in group)
                dy = sum(r["xy"][1] - cy for r in group)
                label = COMPASS[round(math.atan2(dy, dx) / (math.pi / 4)) % 8]
                if label in taken:
                    # A town of hundreds of schools (a pooled partnership) outgrows the area
                    # names: number the sectors beyond them.
                    label = next((s for s in AREA_SUFFIXES if s not in taken), f"{label} {g}")
            taken.append(label)
            for r in group:
                r["cluster"] = f"{town['name']} {label}"


def add_trusts(la: LA) -> None:
    """About 40% of schools in trusts of 3 to 15, often reaching into the next town."""
    rng, rows = la.rng, la.rows
    for r in rows:
        r["trust"] = None
    la.trust_stems = []
    target = round(0.4 * len(rows))
    assigned = 0
    free = list(rows)
    while target - assigned >= 2 and len(free) >= 3:
        # Most trusts are small; a few have grown to a dozen or more.
        size = 3 + int(rng.random() ** 2 * 13)
        size = min(size, max(3, target - assigned), len(free))
        seed = rng.choice(free)
        by_seed = sorted(free, key=lambda r: dist(r["xy"], seed["xy"]) * rng.uniform(0.8, 1.25))
        members = by_seed[:size]
        if len(la.towns) > 1 and size >= 4 and rng.random() < 0.5:
            # Half from the seed's own town, half from its nearest neighbouring town.
            home = la.towns[seed["town"]]["centre"]
            other = min(
                (t for t in range(len(la.towns)) if t != seed["town"]),
                key=lambda t: dist(la.towns[t]["centre"], home),
            )
            near_other = sorted((r for r in free if r["town"] == other), key=lambda r: dist(r["xy"], home))
            own = [r for r in by_seed if r["town"] == seed["town"]][: size - size // 2]
            members = own + near_other[: size - len(own)]
            if len(members) < size:
                chosen = {id(r) for r in members}
                members += [r for r in by_seed if id(r) not in chosen][: size - len(members)]
        name = trust_name(la)
        chosen = {id(r) for r in members}
        for r in members:
            r["trust"] = name
        free = [r for r in free if id(r) not in chosen]
        assigned += len(members)


def add_closed_dates(la: LA) -> None:
    rng = la.rng
    # A trust often closes all its schools on the same training day.
    trust_day: dict[str, dt.date | None] = {}
    for r in la.rows:
        t = r["trust"]
        if t is not None and t not in trust_day:
            trust_day[t] = rng.choice(la.school_days) if rng.random() < 0.4 else None
    for r in la.rows:
        k = weighted(rng, (0, 1, 2), (50, 30, 20))
        days = []
        shared = trust_day.get(r["trust"]) if r["trust"] else None
        if shared is not None:
            days.append(shared)
            k = max(k, 1)
        while len(days) < k:
            d = rng.choice(la.school_days)
            if d not in days:
                days.append(d)
        r["closed_dates"] = sorted(d.isoformat() for d in days)
