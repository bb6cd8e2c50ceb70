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
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys

from .scenario import DEFAULT_WEIGHTS

# --- the shape of an English LA ----------------------------------------------------------

# Share of each phase among an LA's state-funded establishments (DfE school census order
# of magnitude); primary takes whatever is left. Nursery schools and sixth-form colleges
# appear only in a large LA: a 40-school LA rarely has one.
PHASE_SHARES = (("secondary", 0.14), ("special", 0.03), ("all-through", 0.01), ("pru", 0.01))
LARGE_LA_PHASE_SHARES = (("nursery", 0.006), ("16-plus", 0.004))
LARGE_LA = 200

TAGS = ("send", "maths", "english", "early-years", "behaviour", "safeguarding",
        "curriculum", "leadership", "attendance", "pupil-premium")

# What a reviewer from a school of each phase tends to know about; the weights steer the
# draw so that special-school heads are SEND people and PRU heads know behaviour.
TAG_WEIGHTS = {
    "nursery": {"early-years": 8, "send": 3, "safeguarding": 3},
    "primary": {"maths": 4, "english": 4, "early-years": 3, "send": 2, "curriculum": 3,
                "pupil-premium": 2, "safeguarding": 2, "leadership": 2, "attendance": 1,
                "behaviour": 1},
    "middle": {"maths": 3, "english": 3, "curriculum": 3, "behaviour": 2},
    "secondary": {"maths": 3, "english": 3, "curriculum": 3, "behaviour": 3, "attendance": 3,
                  "leadership": 3, "pupil-premium": 2, "safeguarding": 2, "send": 1},
    "all-through": {"curriculum": 3, "leadership": 3, "maths": 2, "english": 2,
                    "attendance": 2},
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
    "nursery": (320, 450), "primary": (350, 550), "middle": (400, 600),
    "secondary": (450, 700), "all-through": (480, 700), "special": (400, 600),
    "pru": (420, 620), "16-plus": (450, 650),
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


# --- words ---------------------------------------------------------------------------------

TOWN_HEADS = ("Ash", "Brad", "Chal", "Dun", "Elm", "Fair", "Har", "Kings", "Lang", "Mar",
              "Nor", "Ox", "Ren", "Stan", "Thorn", "Wal", "Whit", "Bur", "Cran", "Hal",
              "Long", "Mel", "Rad", "Sed", "Tad", "Wick", "Ald", "Bix", "Cul", "Dray",
              "Ever", "Gras", "Hen", "Kel", "Lud", "Mort", "Pen", "Ros", "Sher", "Ock")
TOWN_TAILS = ("ford", "ley", "ton", "bury", "ham", "wick", "field", "worth", "by", "stead",
              "borough", "combe", "well", "bridge", "thorpe", "minster", "wood", "hurst")
# Not "North"/"South": a sub-area "North Sedbury North" would read as a typo.
UPPER_LOWER = ("Upper ", "Lower ", "Great ", "Little ")

# Sub-areas of a large town, used after the compass points run out.
AREA_SUFFIXES = ("Park", "Green", "Vale", "Heath", "Hill", "Moor", "Fields", "Cross",
                 "Bridge", "Common", "Wood", "Lanes", "End", "Gate", "Rise", "Meadows")
COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South",
           "South East")

NAME_HEADS = ("Oak", "Ash", "Beech", "Birch", "Elm", "Willow", "Holly", "Hazel", "Rowan",
              "Cedar", "Maple", "Meadow", "Brook", "Moss", "Heath", "Fern", "Lark", "Kings",
              "Queens", "Church", "Mill", "Park", "Spring", "Green", "Broad", "Long",
              "Fair", "Red", "Stone", "Castle", "Bridge", "Priory", "Abbey", "Hollins",
              "Moor", "Lime", "Orchard", "Well", "Cherry", "Thorn", "Wood", "Sandy")
NAME_TAILS = ("field", "wood", "bank", "side", "dale", "lands", "croft", "hill", "mead",
              "way", "gate", "brook", "hurst", "ley", "lea", "view", "grove")
# Church schools: the dedication has to fit the denomination (no "St Bernadette's CofE").
SAINTS = {
    "CofE": ("Mary", "John", "Peter", "Paul", "Michael", "Andrew", "James", "Margaret", "Chad",
             "Luke", "Mark", "George", "Hilda", "Bede", "Wilfrid", "Oswald", "Alban", "Aidan",
             "Cuthbert", "Thomas", "Matthew", "Barnabas"),
    "RC": ("Joseph", "Patrick", "Bernadette", "Teresa", "Vincent", "Francis", "Anthony",
           "Monica", "Mary", "John Fisher", "Thomas More", "Augustine", "Edmund", "Catherine",
           "Peter", "Gregory", "Wilfrid", "Clare"),
}
DEDICATIONS = {
    "CofE": ("Holy Trinity", "Christ Church", "All Saints", "Emmanuel", "St Mary and St John"),
    "RC": ("Sacred Heart", "Our Lady", "Holy Family", "Holy Cross", "English Martyrs"),
}

TRUST_STEMS = ("Aspire", "Horizon", "Summit", "Beacon", "Northern Star", "Endeavour",
               "Compass", "Pathways", "Unity", "Kite", "Heritage", "Lighthouse", "Evolve",
               "Keystone", "Meridian", "Oak Tree", "Harbour", "Three Rivers", "Cornerstone",
               "Inspire", "Pioneer", "Bright Futures", "Greenwood", "Arden", "Forest Edge",
               "Crescent", "Polaris", "Ember", "Acorn", "Riverside", "Spire", "Kinship",
               "Elevate", "Rainbow", "Wildflower", "Kingfisher", "Phoenix", "Anchor",
               "Willow Tree", "Silver Birch", "Skylark", "Navigator", "Lantern", "Pinnacle",
               "Tapestry", "Harmony", "Mosaic", "Vanguard", "Discovery", "Momentum", "Apex",
               "Hillside", "Meadowlands", "Greenfields", "Heartwood", "Severn", "Trent",
               "Avon", "Mercia", "Beacon Hill", "Castle View", "Lakeside", "Shires")
TRUST_FORMS = ("{} Learning Trust", "{} Academy Trust", "{} Education Trust",
               "{} Multi-Academy Trust", "The {} Partnership", "{} Schools Trust")

FIRST_NAMES = ("Helen", "Sarah", "Claire", "Emma", "Rachel", "Joanne", "Karen", "Nicola",
               "Louise", "Catherine", "Amanda", "Julie", "Rebecca", "Victoria", "Anna",
               "Fiona", "Priya", "Aisha", "Samina", "Gemma", "Lisa", "Jane", "Ruth", "Kate",
               "David", "Mark", "Paul", "Andrew", "Richard", "James", "Simon", "Stephen",
               "Matthew", "Neil", "Gareth", "Ian", "Jonathan", "Daniel", "Imran", "Tariq",
               "Michael", "Peter", "Chris", "Martin", "Rob", "Tom", "Alan", "Sunil")
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
            "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards",
            "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "King",
            "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott",
            "Watson", "Parker", "Bennett", "Young", "Phillips", "Richardson", "Mitchell",
            "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell", "Collins", "Morgan",
            "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson", "Price",
            "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy",
            "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer",
            "Campbell", "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews",
            "Barker", "Powell", "Stevens", "Kaur", "Fisher", "Butler", "Dixon", "Russell",
            "Harvey", "Pearson", "Graham", "O'Brien", "Nowak", "Okafor", "Mensah")

CONFLICT_REASONS = ("governor", "former employee", "family")

KM_PER_DEG_LAT = 111.2


# --- helpers -------------------------------------------------------------------------------


def _weighted(rng: random.Random, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


def _sample_tags(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """k distinct tags drawn by weight; tags outside the weight table can still appear."""
    pool = {t: weights.get(t, 0.5) for t in TAGS}
    chosen: list[str] = []
    for _ in range(min(k, len(pool))):
        tags = list(pool)
        tag = rng.choices(tags, weights=[pool[t] for t in tags], k=1)[0]
        chosen.append(tag)
        del pool[tag]
    return sorted(chosen)


def _allocate(total: int, weights: list[float], minimum: int = 0) -> list[int]:
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


def _round_to(x: float, step: float) -> float:
    return float(round(x / step) * step)


def _autumn_term(year: int) -> tuple[dt.date, dt.date, list[dt.date]]:
    """Window start and end, and the October half-term week, of an English autumn term."""
    # Schools go back in the first days of September; reviews start the first Monday
    # after the 1st, once the term has settled.
    start = dt.date(year, 9, 2)
    start += dt.timedelta(days=(0 - start.weekday()) % 7)
    # Reviews stop on the second Friday of December, before the Christmas-play weeks.
    end = dt.date(year, 12, 8)
    end += dt.timedelta(days=(4 - end.weekday()) % 7)
    # Half-term: the last Monday-to-Friday week that lies wholly in October.
    monday = dt.date(year, 10, 27)
    monday -= dt.timedelta(days=monday.weekday())
    half_term = [monday + dt.timedelta(days=i) for i in range(5)]
    return start, end, half_term


class _Geo:
    """A local flat projection in kilometres: ample for picking neighbours in one LA."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat0))

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return (round(self.lat0 + y / KM_PER_DEG_LAT, 6),
                round(self.lon0 + x / self.km_per_deg_lon, 6))


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


# --- the generator -------------------------------------------------------------------------


class _Builder:
    def __init__(self, n: int, rng: random.Random, year: int, review_share: float,
                 support_requests: int | None):
        self.n, self.rng, self.year = n, rng, year
        self.review_share = review_share
        self.support_requests = support_requests
        self.used_names: set[str] = set()  # membership tests only: never iterated

    # calendar ------------------------------------------------------------------------
    def calendar(self):
        rng = self.rng
        start, end, half_term = _autumn_term(self.year)
        # INSET days sit next to the holiday far more often than mid-week.
        friday_before = half_term[0] - dt.timedelta(days=3)
        monday_after = half_term[0] + dt.timedelta(days=7)
        late_friday = end - dt.timedelta(days=7 * rng.randint(1, 4))
        candidates = [d for d in (monday_after, friday_before, late_friday) if start <= d <= end]
        inset = rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2))))
        self.start, self.end = start, end
        self.excluded = sorted(d for d in half_term + inset if start <= d <= end)
        excluded = set(self.excluded)
        self.school_days = [d for d in (start + dt.timedelta(days=i)
                                        for i in range((end - start).days + 1))
                            if d.weekday() < 5 and d not in excluded]

    def some_school_days(self, k: int) -> list[str]:
        return sorted(d.isoformat() for d in self.rng.sample(self.school_days, k))

    # places --------------------------------------------------------------------------
    def unique_name(self, make, fallback) -> str:
        for _ in range(30):
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        i = 2
        while f"{fallback} {i}" in self.used_names:
            i += 1
        self.used_names.add(f"{fallback} {i}")
        return f"{fallback} {i}"

    def town_name(self, used_parts: list[str]) -> str:
        rng = self.rng

        def make():
            head = rng.choice([h for h in TOWN_HEADS if h not in used_parts] or TOWN_HEADS)
            tail = rng.choice([t for t in TOWN_TAILS if t not in used_parts] or TOWN_TAILS)
            name = head + tail
            if rng.random() < 0.08:
                name = rng.choice(UPPER_LOWER) + name
            return name

        name = self.unique_name(make, "Newtown")
        # A county map where every town ends in "-worth" looks generated; spread the parts.
        used_parts.extend(p for p in TOWN_HEADS + TOWN_TAILS
                          if name.split()[-1].startswith(p) or name.endswith(p))
        return name

    def towns(self):
        rng, n = self.rng, self.n
        self.lat0 = round(rng.uniform(52.25, 52.75), 4)
        self.lon0 = round(rng.uniform(-2.25, -1.45), 4)
        self.geo = _Geo(self.lat0, self.lon0)
        k = max(3, min(12, n // 15))
        # Town sizes fall off like a real county: one large town, a few market towns.
        weights = [rng.uniform(0.7, 1.3) / (i + 1) ** 0.8 for i in range(k)]
        sizes = _allocate(n, weights, minimum=min(6, n // k))
        radius = 25.0
        centres: list[tuple[float, float]] = []
        for i in range(k):
            best = None
            for _ in range(200):
                if i == 0:
                    r, a = 5.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
                else:
                    r, a = radius * math.sqrt(rng.uniform(0.05, 1.0)), rng.uniform(0, 2 * math.pi)
                p = (r * math.cos(a), r * math.sin(a))
                gap = min((_dist(p, c) for c in centres), default=math.inf)
                if best is None or gap > best[0]:
                    best = (gap, p)
                if gap >= 7.0:
                    break
            centres.append(best[1])
        used_parts: list[str] = []
        self.towns_ = [{"name": self.town_name(used_parts), "centre": c, "size": s}
                       for c, s in zip(centres, sizes)]

    def phases(self) -> list[str]:
        n = self.n
        shares = list(PHASE_SHARES) + (list(LARGE_LA_PHASE_SHARES) if n >= LARGE_LA else [])
        counts = {p: round(n * s) for p, s in shares}
        if n >= 2 and counts["secondary"] == 0:
            counts["secondary"] = 1  # every LA has somewhere for its eleven-year-olds
        counts = {p: c for p, c in counts.items() if c}
        primary = n - sum(counts.values())
        phases = ["primary"] * primary + [p for p, c in counts.items() for _ in range(c)]
        self.rng.shuffle(phases)
        return phases

    def pupils(self, phase: str) -> int:
        rng = self.rng
        if phase == "primary":
            # Primary schools come in forms of entry: 1FE is 210 pupils, 2FE 420.
            fe = _weighted(rng, (0.5, 1, 1.5, 2, 3), (10, 40, 10, 30, 10))
            return max(100, min(650, round(fe * 210 * rng.uniform(0.78, 1.04))))
        if phase == "secondary":
            return max(600, min(1800, round(rng.gauss(1100, 300))))
        lo, hi = {"nursery": (50, 150), "special": (50, 250), "pru": (20, 90),
                  "all-through": (900, 2000), "16-plus": (500, 2200),
                  "middle": (300, 700)}[phase]
        return rng.randint(lo, hi)

    def school_name(self, phase: str, town: str, academy: bool) -> str:
        rng = self.rng

        def stem():
            r = rng.random()
            if r < 0.15:
                return town
            if r < 0.25:
                return f"{town} {rng.choice(AREA_SUFFIXES)}"
            return rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)

        def saint(denom):
            church = "CofE" if denom == "CofE" else "RC"
            if rng.random() < 0.25:
                return f"{rng.choice(DEDICATIONS[church])} {denom}"
            name = rng.choice(SAINTS[church])
            # "St John Fisher", "St Thomas'": the possessive as the schools themselves write it.
            if " " in name:
                return f"St {name} {denom}"
            return f"St {name}{chr(39) if name.endswith('s') else chr(39) + 's'} {denom}"

        def make():
            r = rng.random()
            if phase == "primary":
                if r < 0.22:
                    return f"{saint(rng.choice(('CofE', 'CofE', 'RC', 'Catholic')))} Primary School"
                if academy and r < 0.6:
                    return f"{stem()} Primary Academy"
                if r < 0.30:
                    return f"{stem()} {rng.choice(('Infant', 'Junior', 'Community Primary'))} School"
                return f"{stem()} Primary School"
            if phase == "secondary":
                if r < 0.12:
                    return f"{saint(rng.choice(('Catholic', 'CofE')))} High School"
                if r < 0.16:
                    return f"{town} Grammar School"
                if academy and r < 0.6:
                    return f"{stem()} Academy"
                return f"{stem()} {rng.choice(('High School', 'School', 'Community College'))}"
            if phase == "special":
                return f"{stem()} {rng.choice(('School', 'School', 'Specialist School', 'Academy'))}"
            if phase == "pru":
                return rng.choice((f"{town} Pupil Referral Unit", f"{stem()} Learning Centre",
                                   f"{stem()} Alternative Provision Academy"))
            if phase == "nursery":
                return f"{stem()} Nursery School"
            if phase == "all-through":
                return f"{stem()} {rng.choice(('All-Through School', 'Academy', 'School'))}"
            if phase == "16-plus":
                return rng.choice((f"{town} Sixth Form College", f"{stem()} Sixth Form College"))
            return f"{stem()} Middle School"

        return self.unique_name(make, f"{town} School")

    def schools(self):
        rng = self.rng
        phases = self.phases()
        self.la_code = str(rng.randint(801, 938))
        rows = []
        i = 0
        for t, town in enumerate(self.towns_):
            cx, cy = town["centre"]
            # Big towns sprawl further; a market town's schools lie within a couple of km.
            sigma = 1.0 + 0.3 * math.sqrt(town["size"])
            for _ in range(town["size"]):
                x = cx + max(-3, min(3, rng.gauss(0, 1))) * sigma
                y = cy + max(-3, min(3, rng.gauss(0, 1))) * sigma
                rows.append({"phase": phases[i], "town": t, "xy": (x, y)})
                i += 1
        self.rows = rows
        self.clusters()
        self.trusts()
        # Academies got their URNs when they converted (136000 on); maintained schools
        # keep the old, lower numbers.
        academies = [r for r in rows if r["trust"] is not None]
        maintained = [r for r in rows if r["trust"] is None]
        for r, urn in zip(academies, rng.sample(range(136000, 150000), len(academies))):
            r["urn"] = str(urn)
        for r, urn in zip(maintained, rng.sample(range(100000, 127000), len(maintained))):
            r["urn"] = str(urn)
        for r in rows:
            town = self.towns_[r["town"]]["name"]
            r["name"] = self.school_name(r["phase"], town, r["trust"] is not None)
            r["pupils"] = self.pupils(r["phase"])
        self.closed_dates()
        rows.sort(key=lambda r: r["urn"])
        self.by_urn = {r["urn"]: r for r in rows}

    def clusters(self):
        """Small towns are one cluster; big ones are cut into sub-areas of 10 to 16."""
        for t, town in enumerate(self.towns_):
            members = [r for r in self.rows if r["town"] == t]
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
                rest = sorted(members, key=lambda r: _dist(r["xy"], (cx, cy)))
                size = len(members) // k
                groups.append(rest[:size])
                rest = rest[size:]
            sectors = k - len(groups)
            rest = sorted(rest, key=lambda r: math.atan2(r["xy"][1] - cy, r["xy"][0] - cx))
            for part in _allocate(len(rest), [1.0] * sectors):
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
                        label = next(s for s in AREA_SUFFIXES if s not in taken)
                taken.append(label)
                for r in group:
                    r["cluster"] = f"{town['name']} {label}"

    def trust_name(self) -> str:
        rng = self.rng
        # One stem per trust: "Elevate Academy Trust" beside "Elevate Education Trust"
        # would look like a data-entry duplicate. Town names widen the pool for big LAs.
        stems = [t for t in TRUST_STEMS + tuple(t["name"] for t in self.towns_)
                 if t not in self.trust_stems]
        if not stems:
            return self.unique_name(lambda: rng.choice(TRUST_FORMS).format(rng.choice(TRUST_STEMS)),
                                    "Local Academy Trust")
        stem = rng.choice(stems)
        self.trust_stems.append(stem)
        return self.unique_name(lambda: rng.choice(TRUST_FORMS).format(stem), f"{stem} Trust")

    def trusts(self):
        """About 40% of schools in trusts of 3 to 15, often reaching into the next town."""
        rng, rows = self.rng, self.rows
        for r in rows:
            r["trust"] = None
        self.trust_stems: list[str] = []
        target = round(0.4 * len(rows))
        assigned = 0
        free = list(rows)
        while target - assigned >= 2 and len(free) >= 3:
            # Most trusts are small; a few have grown to a dozen or more.
            size = 3 + int(rng.random() ** 2 * 13)
            size = min(size, max(3, target - assigned), len(free))
            seed = rng.choice(free)
            by_seed = sorted(free, key=lambda r: _dist(r["xy"], seed["xy"]) * rng.uniform(0.8, 1.25))
            members = by_seed[:size]
            if len(self.towns_) > 1 and size >= 4 and rng.random() < 0.5:
                # Half from the seed's own town, half from its nearest neighbouring town.
                home = self.towns_[seed["town"]]["centre"]
                other = min((t for t in range(len(self.towns_)) if t != seed["town"]),
                            key=lambda t: _dist(self.towns_[t]["centre"], home))
                near_other = sorted((r for r in free if r["town"] == other),
                                    key=lambda r: _dist(r["xy"], home))
                own = [r for r in by_seed if r["town"] == seed["town"]][: size - size // 2]
                members = own + near_other[: size - len(own)]
                if len(members) < size:
                    chosen = {id(r) for r in members}
                    members += [r for r in by_seed if id(r) not in chosen][: size - len(members)]
            name = self.trust_name()
            chosen = {id(r) for r in members}
            for r in members:
                r["trust"] = name
            free = [r for r in free if id(r) not in chosen]
            assigned += len(members)

    def closed_dates(self):
        rng = self.rng
        # A trust often closes all its schools on the same training day.
        trust_day: dict[str, dt.date | None] = {}
        for r in self.rows:
            t = r["trust"]
            if t is not None and t not in trust_day:
                trust_day[t] = rng.choice(self.school_days) if rng.random() < 0.4 else None
        for r in self.rows:
            k = _weighted(rng, (0, 1, 2), (50, 30, 20))
            days = []
            shared = trust_day.get(r["trust"]) if r["trust"] else None
            if shared is not None:
                days.append(shared)
                k = max(k, 1)
            while len(days) < k:
                d = rng.choice(self.school_days)
                if d not in days:
                    days.append(d)
            r["closed_dates"] = sorted(d.isoformat() for d in days)

    # people --------------------------------------------------------------------------
    def person_name(self) -> str:
        rng = self.rng
        return self.unique_name(lambda: f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                                "Alex Smith")

    def reviewers(self):
        rng = self.rng
        people = []
        for r in self.rows:
            kind = _weighted(rng, ("none", "head", "head+deputy"), (8, 82, 10))
            if kind == "none":
                continue
            roles = ["headteacher"] + (["deputy"] if kind == "head+deputy" else [])
            for role in roles:
                phase = r["phase"]
                phases = [phase] + [p for p, chance in EXTRA_PHASES[phase] if rng.random() < chance]
                specs = _sample_tags(rng, TAG_WEIGHTS[phase], _weighted(rng, (0, 1, 2, 3), (15, 35, 35, 15)))
                if "special" not in phases and "send" in specs and phase in ("primary", "secondary") \
                        and rng.random() < 0.25:
                    phases.append("special")  # a SENCo-turned-head is welcome in a special school
                lo, hi = DAY_RATES[phase]
                rate = rng.uniform(lo, hi)
                if role == "deputy":
                    rate *= 0.85  # cover for a deputy costs less than for a head
                    lead = rng.random() < 0.15
                    cap = _weighted(rng, (1, 2), (75, 25))
                else:
                    lead = rng.random() < 0.47
                    cap = _weighted(rng, (1, 2, 3), (45, 45, 10))
                people.append({
                    "name": self.person_name(), "school_urn": r["urn"], "role": role,
                    "lead_accredited": lead, "phases": phases, "specialisms": specs,
                    "max_reviews": cap, "day_rate": float(round(rate)),
                    "unavailable": self.some_school_days(_weighted(rng, range(5), (30, 25, 20, 15, 10))),
                })
        # Order by home school as an officer's spreadsheet would, then the advisers.
        people.sort(key=lambda p: (p["school_urn"], p["role"] != "headteacher"))
        # Even a small LA keeps three posts (inclusion, secondary, primary): with only a
        # couple of secondaries, its heads alone could never make up a secondary team.
        n_advisers = max(3, round(self.n * 0.025))
        for a in range(n_advisers):
            _, phases, leaning = ADVISER_POSTS[a % len(ADVISER_POSTS)]
            specs = sorted(set(rng.sample(leaning, rng.randint(1, 2)))
                           | set(_sample_tags(rng, {}, rng.randint(0, 1))))
            lo, hi = ADVISER_DAY_RATE
            people.append({
                "name": self.person_name(), "school_urn": None, "role": "adviser",
                "lead_accredited": rng.random() < 0.8, "phases": list(phases),
                "specialisms": specs, "max_reviews": rng.randint(2, 3),
                "day_rate": float(round(rng.uniform(lo, hi))),
                "unavailable": self.some_school_days(_weighted(rng, range(5), (20, 25, 25, 20, 10))),
            })
        width = max(4, len(str(len(people))))
        self.people = [{"id": f"r-{i + 1:0{width}d}", **p} for i, p in enumerate(people)]

    # the cycle's work ----------------------------------------------------------------
    def reviews(self):
        rng = self.rng
        n_reviews = max(1, min(self.n, round(self.review_share * self.n)))
        chosen = rng.sample(self.rows, n_reviews)
        chosen.sort(key=lambda r: r["urn"])
        days = self.school_days
        out = []
        for r in chosen:
            review = {"school_urn": r["urn"], "priority": _weighted(rng, (1, 2, 3), (70, 20, 10)),
                      "focus": _sample_tags(rng, TAG_WEIGHTS[r["phase"]], _weighted(rng, (0, 1, 2), (25, 45, 30))),
                      "team_size": None, "earliest": None, "latest": None}
            if rng.random() < 0.04:
                # A very small school gets a pair; a very large secondary a team of four.
                if r["pupils"] < 160:
                    review["team_size"] = 2
                elif r["pupils"] > 1300:
                    review["team_size"] = 4
            if rng.random() < 0.12 and len(days) >= 30:
                # A new head starting after October, or a visit wanted before an expected
                # inspection: leave at least three school weeks to choose from.
                kind = _weighted(rng, ("earliest", "latest", "both"), (40, 40, 20))
                lo = rng.randint(5, len(days) - 21)
                hi = rng.randint(lo + 15, len(days) - 1)
                if kind in ("earliest", "both"):
                    review["earliest"] = days[lo].isoformat()
                if kind in ("latest", "both"):
                    review["latest"] = days[hi].isoformat()
            out.append(review)
        self.reviews_ = out

    def support(self):
        rng, rows = self.rng, self.rows
        n_providers = max(1, round(0.06 * self.n))
        n_requests = (self.support_requests if self.support_requests is not None
                      else max(1, round(0.08 * self.n)))
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
            providers.append({
                "id": f"p-{i + 1:0{pw}d}", "school_urn": r["urn"],
                "capacity_days": rng.randint(5, 20),
                "day_rate": float(round(rng.uniform(300, 500))),
                "specialisms": _sample_tags(rng, TAG_WEIGHTS[r["phase"]], rng.randint(1, 3)),
            })
        provider_urns = {r["urn"] for r in providers_rows}
        askers = [r for r in rows if r["urn"] not in provider_urns]
        n_requests = min(n_requests, len(askers))
        request_rows = sorted(rng.sample(askers, n_requests), key=lambda r: r["urn"])
        sw = max(2, len(str(n_requests)))
        requests = [{
            "id": f"s-{i + 1:0{sw}d}", "school_urn": r["urn"], "days": rng.randint(2, 10),
            "focus": _sample_tags(rng, TAG_WEIGHTS[r["phase"]], _weighted(rng, (1, 2), (60, 40))),
            "priority": _weighted(rng, (1, 2), (60, 40)),
        } for i, r in enumerate(request_rows)]
        # Demand must not outrun what providers can give, or the budget is not the limit.
        demand = sum(q["days"] for q in requests)
        i = 0
        while providers and sum(p["capacity_days"] for p in providers) < demand and i < 10 * len(providers):
            if providers[i % len(providers)]["capacity_days"] < 20:
                providers[i % len(providers)]["capacity_days"] += 1
            i += 1
        self.requests, self.providers = requests, providers

    def conflicts(self):
        rng = self.rng
        out = []
        seen: set[tuple[str, str]] = set()
        homed = [p for p in self.people if p["school_urn"] is not None]
        review_urns = [v["school_urn"] for v in self.reviews_]
        want = max(2, round(0.025 * self.n))
        for _ in range(want * 5):
            if len(out) >= want or not homed:
                break
            person = rng.choice(homed)
            home = self.by_urn[person["school_urn"]]
            # A conflict matters where the reviewer would otherwise be a candidate: a
            # school under review in a nearby town, not their own cluster.
            near = [u for u in review_urns
                    if u != home["urn"] and self.by_urn[u]["cluster"] != home["cluster"]
                    and _dist(self.by_urn[u]["xy"], home["xy"]) < 20]
            if not near:
                continue
            urn = rng.choice(near)
            if (person["id"], urn) in seen:
                continue
            seen.add((person["id"], urn))
            out.append({"reviewer": person["id"], "school_urn": urn,
                        "reason": _weighted(rng, CONFLICT_REASONS, (50, 30, 20))})
        for _ in range(rng.randint(1, 2)):
            if not self.providers:
                break
            provider = rng.choice(self.providers)
            targets = [q["school_urn"] for q in self.requests if q["school_urn"] != provider["school_urn"]]
            if not targets:
                break
            urn = rng.choice(targets)
            if (provider["id"], urn) in seen:
                continue
            seen.add((provider["id"], urn))
            out.append({"provider": provider["id"], "school_urn": urn,
                        "reason": _weighted(rng, ("governor", "former employee"), (60, 40))})
        self.conflicts_ = out

    def history(self):
        """Earlier cycles: about 30% of reviewers visited one or two schools they could visit now."""
        rng = self.rng
        out = []
        # Bucket schools by town so the "nearby" search stays cheap at 1000 schools.
        by_town: dict[int, list[dict]] = {}
        for r in self.rows:
            by_town.setdefault(r["town"], []).append(r)
        for person in self.people:
            if rng.random() >= 0.30:
                continue
            home = self.by_urn.get(person["school_urn"]) if person["school_urn"] else None
            if home is None:
                towns = [rng.randrange(len(self.towns_))]
            else:
                hc = self.towns_[home["town"]]["centre"]
                towns = sorted(range(len(self.towns_)),
                               key=lambda t: _dist(self.towns_[t]["centre"], hc))[:3]
            options = [r for t in towns for r in by_town.get(t, [])
                       if r["phase"] in person["phases"]
                       and (home is None or (r["urn"] != home["urn"] and r["cluster"] != home["cluster"]))]
            if not options:
                options = [r for r in self.rows if home is None or r["urn"] != home["urn"]]
            if not options:
                continue
            for past in rng.sample(options, min(len(options), rng.randint(1, 2))):
                out.append({"reviewer": person["id"], "school_urn": past["urn"],
                            "cycles_ago": _weighted(rng, (1, 2, 3), (40, 35, 25))})
        self.history_ = out

    def budgets(self) -> dict:
        rng = self.rng
        active = [p for p in self.people if p["max_reviews"] > 0]
        avg_rate = sum(p["day_rate"] for p in active) / len(active) if active else 450.0
        team_places = sum(v["team_size"] or 3 for v in self.reviews_)
        expected = team_places * 1 * avg_rate  # visit_days is 1
        backfill = _round_to(expected * rng.uniform(1.05, 1.2), 100)
        # Cap the clusters that supply the most reviewers a little below their fair share,
        # so the budget steers the choice without starving any review.
        capacity: dict[str, int] = {}
        for p in active:
            if p["school_urn"]:
                c = self.by_urn[p["school_urn"]]["cluster"]
                capacity[c] = capacity.get(c, 0) + p["max_reviews"]
        total_capacity = sum(p["max_reviews"] for p in active) or 1
        n_capped = 0 if len(capacity) < 2 else 1 if len(capacity) <= 3 else 2
        biggest = sorted(capacity, key=lambda c: (-capacity[c], c))[: n_capped + 2]
        cluster_budgets = {}
        for c in sorted(rng.sample(biggest, n_capped)):
            share = capacity[c] / total_capacity * expected
            cluster_budgets[c] = max(_round_to(share * rng.uniform(0.75, 0.95), 50), 50.0)
        if self.requests and self.providers:
            rate = sum(p["day_rate"] for p in self.providers) / len(self.providers)
            demand = sum(q["days"] for q in self.requests)
            support = _round_to(demand * rate * rng.uniform(0.70, 0.85), 100)
        else:
            support = 0.0
        return {"backfill_budget": backfill, "cluster_budgets": cluster_budgets,
                "support_budget": support}

    # assembly ------------------------------------------------------------------------
    def build(self) -> dict:
        self.calendar()
        self.towns()
        self.schools()
        self.reviewers()
        self.reviews()
        self.support()
        self.conflicts()
        self.history()
        budgets = self.budgets()
        biggest_town = self.towns_[0]["name"]
        schools = [{
            "urn": r["urn"], "name": r["name"], "la_code": self.la_code, "phase": r["phase"],
            "cluster": r["cluster"], "trust": r["trust"],
            "lat": self.geo.to_latlon(*r["xy"])[0], "lon": self.geo.to_latlon(*r["xy"])[1],
            "pupils": r["pupils"], "closed_dates": r["closed_dates"],
        } for r in self.rows]
        return {
            "version": 1,
            "cycle": {
                "name": f"Autumn {self.year} school peer review ({biggest_town} and district)",
                "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
                "excluded_dates": [d.isoformat() for d in self.excluded],
                "freeze_before": None,
                "team_size": 3,
                "visit_days": 1,
                "lead_required": True,
                **budgets,
                "policy": dict(DEFAULT_POLICY),
                "weights": dict(DEFAULT_WEIGHTS),
            },
            "schools": schools,
            "reviewers": self.people,
            "reviews": self.reviews_,
            "conflicts": self.conflicts_,
            "history": self.history_,
            "support": {"requests": self.requests, "providers": self.providers},
            "previous": [],
        }


def generate(schools: int, seed: int = 0, *, year: int = 2026, review_share: float = 0.33,
             support_requests: int | None = None) -> dict:
    """A scenario v1 dict for an invented LA of `schools` schools; same arguments, same dict."""
    if not isinstance(schools, int) or schools < 1:
        raise ValueError("schools must be a positive integer")
    if not 0 < review_share <= 1:
        raise ValueError("review_share must be in (0, 1]")
    if support_requests is not None and support_requests < 0:
        raise ValueError("support_requests must be >= 0")
    # Seeding with a string mixes every argument into the stream, so LAs of 140 and 141
    # schools under one seed are independent draws, not prefixes of each other.
    rng = random.Random(f"peer-review-la:{schools}:{seed}:{year}")
    return _Builder(schools, rng, year, review_share, support_requests).build()


# --- command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schools", type=int, default=140,
                        help="number of schools in the invented LA (default 140)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--year", type=int, default=2026,
                        help="the autumn term of this year (default 2026)")
    parser.add_argument("--review-share", type=float, default=0.33,
                        help="share of schools to be reviewed this cycle (default 0.33)")
    parser.add_argument("--support-requests", type=int, default=None,
                        help="number of support requests (default about 8%% of schools)")
    parser.add_argument("--out", default=None, help="write the JSON here instead of stdout")
    parser.add_argument("--indent", type=int, default=2,
                        help="JSON indentation; 0 for one compact line (default 2)")


def run(args: argparse.Namespace) -> int:
    """Generate from parsed arguments and write the JSON; the body of the CLI command."""
    try:
        scenario = generate(args.schools, args.seed, year=args.year,
                            review_share=args.review_share,
                            support_requests=args.support_requests)
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(scenario, indent=args.indent or None, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m solver generate",
        description="Write a synthetic English LA autumn review cycle (scenario v1 JSON).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
