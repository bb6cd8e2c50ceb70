"""Names: towns, schools (church schools dedicated as their denomination would), trusts,
people; each drawn once (no two alike in one LA)."""

from __future__ import annotations

from .la import LA

TOWN_HEADS = (
    "Ash",
    "Brad",
    "Chal",
    "Dun",
    "Elm",
    "Fair",
    "Har",
    "Kings",
    "Lang",
    "Mar",
    "Nor",
    "Ox",
    "Ren",
    "Stan",
    "Thorn",
    "Wal",
    "Whit",
    "Bur",
    "Cran",
    "Hal",
    "Long",
    "Mel",
    "Rad",
    "Sed",
    "Tad",
    "Wick",
    "Ald",
    "Bix",
    "Cul",
    "Dray",
    "Ever",
    "Gras",
    "Hen",
    "Kel",
    "Lud",
    "Mort",
    "Pen",
    "Ros",
    "Sher",
    "Ock",
)

TOWN_TAILS = (
    "ford",
    "ley",
    "ton",
    "bury",
    "ham",
    "wick",
    "field",
    "worth",
    "by",
    "stead",
    "borough",
    "combe",
    "well",
    "bridge",
    "thorpe",
    "minster",
    "wood",
    "hurst",
)

# Not "North"/"South": a sub-area "North Sedbury North" would read as a typo.
UPPER_LOWER = ("Upper ", "Lower ", "Great ", "Little ")

# Sub-areas of a large town, used after the compass points run out.
AREA_SUFFIXES = (
    "Park",
    "Green",
    "Vale",
    "Heath",
    "Hill",
    "Moor",
    "Fields",
    "Cross",
    "Bridge",
    "Common",
    "Wood",
    "Lanes",
    "End",
    "Gate",
    "Rise",
    "Meadows",
)

COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South", "South East")

NAME_HEADS = (
    "Oak",
    "Ash",
    "Beech",
    "Birch",
    "Elm",
    "Willow",
    "Holly",
    "Hazel",
    "Rowan",
    "Cedar",
    "Maple",
    "Meadow",
    "Brook",
    "Moss",
    "Heath",
    "Fern",
    "Lark",
    "Kings",
    "Queens",
    "Church",
    "Mill",
    "Park",
    "Spring",
    "Green",
    "Broad",
    "Long",
    "Fair",
    "Red",
    "Stone",
    "Castle",
    "Bridge",
    "Priory",
    "Abbey",
    "Hollins",
    "Moor",
    "Lime",
    "Orchard",
    "Well",
    "Cherry",
    "Thorn",
    "Wood",
    "Sandy",
)

NAME_TAILS = (
    "field",
    "wood",
    "bank",
    "side",
    "dale",
    "lands",
    "croft",
    "hill",
    "mead",
    "way",
    "gate",
    "brook",
    "hurst",
    "ley",
    "lea",
    "view",
    "grove",
)

# Church schools: the dedication has to fit the denomination (no "St Bernadette's CofE").
SAINTS = {
    "CofE": (
        "Mary",
        "John",
        "Peter",
        "Paul",
        "Michael",
        "Andrew",
        "James",
        "Margaret",
        "Chad",
        "Luke",
        "Mark",
        "George",
        "Hilda",
        "Bede",
        "Wilfrid",
        "Oswald",
        "Alban",
        "Aidan",
        "Cuthbert",
        "Thomas",
        "Matthew",
        "Barnabas",
    ),
    "RC": (
        "Joseph",
        "Patrick",
        "Bernadette",
        "Teresa",
        "Vincent",
        "Francis",
        "Anthony",
        "Monica",
        "Mary",
        "John Fisher",
        "Thomas More",
        "Augustine",
        "Edmund",
        "Catherine",
        "Peter",
        "Gregory",
        "Wilfrid",
        "Clare",
    ),
}

DEDICATIONS = {
    "CofE": ("Holy Trinity", "Christ Church", "All Saints", "Emmanuel", "St Mary and St John"),
    "RC": ("Sacred Heart", "Our Lady", "Holy Family", "Holy Cross", "English Martyrs"),
}

TRUST_STEMS = (
    "Aspire",
    "Horizon",
    "Summit",
    "Beacon",
    "Northern Star",
    "Endeavour",
    "Compass",
    "Pathways",
    "Unity",
    "Kite",
    "Heritage",
    "Lighthouse",
    "Evolve",
    "Keystone",
    "Meridian",
    "Oak Tree",
    "Harbour",
    "Three Rivers",
    "Cornerstone",
    "Inspire",
    "Pioneer",
    "Bright Futures",
    "Greenwood",
    "Arden",
    "Forest Edge",
    "Crescent",
    "Polaris",
    "Ember",
    "Acorn",
    "Riverside",
    "Spire",
    "Kinship",
    "Elevate",
    "Rainbow",
    "Wildflower",
    "Kingfisher",
    "Phoenix",
    "Anchor",
    "Willow Tree",
    "Silver Birch",
    "Skylark",
    "Navigator",
    "Lantern",
    "Pinnacle",
    "Tapestry",
    "Harmony",
    "Mosaic",
    "Vanguard",
    "Discovery",
    "Momentum",
    "Apex",
    "Hillside",
    "Meadowlands",
    "Greenfields",
    "Heartwood",
    "Severn",
    "Trent",
    "Avon",
    "Mercia",
    "Beacon Hill",
    "Castle View",
    "Lakeside",
    "Shires",
)

TRUST_FORMS = (
    "{} Learning Trust",
    "{} Academy Trust",
    "{} Education Trust",
    "{} Multi-Academy Trust",
    "The {} Partnership",
    "{} Schools Trust",
)

FIRST_NAMES = (
    "Helen",
    "Sarah",
    "Claire",
    "Emma",
    "Rachel",
    "Joanne",
    "Karen",
    "Nicola",
    "Louise",
    "Catherine",
    "Amanda",
    "Julie",
    "Rebecca",
    "Victoria",
    "Anna",
    "Fiona",
    "Priya",
    "Aisha",
    "Samina",
    "Gemma",
    "Lisa",
    "Jane",
    "Ruth",
    "Kate",
    "David",
    "Mark",
    "Paul",
    "Andrew",
    "Richard",
    "James",
    "Simon",
    "Stephen",
    "Matthew",
    "Neil",
    "Gareth",
    "Ian",
    "Jonathan",
    "Daniel",
    "Imran",
    "Tariq",
    "Michael",
    "Peter",
    "Chris",
    "Martin",
    "Rob",
    "Tom",
    "Alan",
    "Sunil",
)

SURNAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Parker",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Carter",
    "Cook",
    "Singh",
    "Shaw",
    "Bell",
    "Collins",
    "Morgan",
    "Kelly",
    "Begum",
    "Miller",
    "Cox",
    "Hussain",
    "Marshall",
    "Simpson",
    "Price",
    "Anderson",
    "Adams",
    "Wilkinson",
    "Ali",
    "Ahmed",
    "Foster",
    "Ellis",
    "Murphy",
    "Chapman",
    "Mason",
    "Gray",
    "Richards",
    "Webb",
    "Griffiths",
    "Hunt",
    "Palmer",
    "Campbell",
    "Holmes",
    "Mills",
    "Rogers",
    "Barnes",
    "Knight",
    "Matthews",
    "Barker",
    "Powell",
    "Stevens",
    "Kaur",
    "Fisher",
    "Butler",
    "Dixon",
    "Russell",
    "Harvey",
    "Pearson",
    "Graham",
    "O'Brien",
    "Nowak",
    "Okafor",
    "Mensah",
)


def unique_name(la: LA, make, fallback) -> str:
    for _ in range(30):
        name = make()
        if name not in la.used_names:
            la.used_names.add(name)
            return name
    i = 2
    while f"{fallback} {i}" in la.used_names:
        i += 1
    la.used_names.add(f"{fallback} {i}")
    return f"{fallback} {i}"


def town_name(la: LA, used_parts: list[str]) -> str:
    rng = la.rng

    def make():
        head = rng.choice([h for h in TOWN_HEADS if h not in used_parts] or TOWN_HEADS)
        tail = rng.choice([t for t in TOWN_TAILS if t not in used_parts] or TOWN_TAILS)
        name = head + tail
        if rng.random() < 0.08:
            name = rng.choice(UPPER_LOWER) + name
        return name

    name = unique_name(la, make, "Newtown")
    # A county map where every town ends in "-worth" looks generated; spread the parts.
    used_parts.extend(p for p in TOWN_HEADS + TOWN_TAILS if name.split()[-1].startswith(p) or name.endswith(p))
    return name


def school_name(la: LA, phase: str, town: str, academy: bool) -> str:
    rng = la.rng

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
            return rng.choice(
                (
                    f"{town} Pupil Referral Unit",
                    f"{stem()} Learning Centre",
                    f"{stem()} Alternative Provision Academy",
                )
            )
        if phase == "nursery":
            return f"{stem()} Nursery School"
        if phase == "all-through":
            return f"{stem()} {rng.choice(('All-Through School', 'Academy', 'School'))}"
        if phase == "16-plus":
            return rng.choice((f"{town} Sixth Form College", f"{stem()} Sixth Form College"))
        return f"{stem()} Middle School"

    return unique_name(la, make, f"{town} School")


def trust_name(la: LA) -> str:
    rng = la.rng
    # One stem per trust: "Elevate Academy Trust" beside "Elevate Education Trust"
    # would look like a data-entry duplicate. Town names widen the pool for big LAs.
    stems = [t for t in TRUST_STEMS + tuple(t["name"] for t in la.towns) if t not in la.trust_stems]
    if not stems:
        return unique_name(la, lambda: rng.choice(TRUST_FORMS).format(rng.choice(TRUST_STEMS)), "Local Academy Trust")
    stem = rng.choice(stems)
    la.trust_stems.append(stem)
    return unique_name(la, lambda: rng.choice(TRUST_FORMS).format(stem), f"{stem} Trust")


def person_name(la: LA) -> str:
    rng = la.rng
    return unique_name(la, lambda: f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", "Alex Smith")
