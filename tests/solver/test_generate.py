"""The synthetic LA generator: deterministic, contract-valid, and shaped like a real LA."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver.generate import TAGS, generate, main
from solver.scenario import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
SIZES = (1, 2, 5, 12, 30, 140, 400, 1000)


@pytest.fixture(scope="module")
def la400():
    return generate(400, 0)


def _digest(scenario: dict) -> str:
    return hashlib.sha256(json.dumps(scenario, sort_keys=True).encode()).hexdigest()


def _day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def _school_days(scenario: dict) -> set[dt.date]:
    cycle = scenario["cycle"]
    start, end = _day(cycle["window"]["start"]), _day(cycle["window"]["end"])
    excluded = {_day(d) for d in cycle["excluded_dates"]}
    days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return {d for d in days if d.weekday() < 5 and d not in excluded}


def _km(a: dict, b: dict) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _eligible(scenario: dict, review: dict) -> list[dict]:
    """Reviewers whom rule 5 and capacity allow on this review (dates aside).

    Deliberately written out here rather than borrowed from the solver: the test checks
    the generator's data, not the solver's reading of the rules.
    """
    schools = {s["urn"]: s for s in scenario["schools"]}
    policy = scenario["cycle"]["policy"]
    target = schools[review["school_urn"]]
    barred = {(c["reviewer"], c["school_urn"]) for c in scenario["conflicts"] if "reviewer" in c}
    barred |= {
        (h["reviewer"], h["school_urn"]) for h in scenario["history"] if h["cycles_ago"] <= policy["no_repeat_cycles"]
    }
    out = []
    for r in scenario["reviewers"]:
        home = schools.get(r["school_urn"]) if r["school_urn"] else None
        if r["max_reviews"] < 1 or (r["id"], target["urn"]) in barred:
            continue
        if target["phase"] not in r["phases"]:
            continue
        if home is not None and (
            home["urn"] == target["urn"]
            or home["cluster"] == target["cluster"]
            or (home["trust"] is not None and home["trust"] == target["trust"])
            or _km(home, target) > policy["max_travel_km"]
        ):
            continue
        out.append(r)
    return out


# --- determinism ---------------------------------------------------------------------------


def test_same_arguments_give_the_same_scenario():
    assert generate(140, 7) == generate(140, 7)
    assert generate(5, 0) == generate(5, 0)


def test_different_seeds_or_sizes_give_different_scenarios():
    assert generate(140, 1) != generate(140, 2)
    # A 141-school LA is a fresh draw, not the 140-school one with a school appended.
    a, b = generate(140, 1), generate(141, 1)
    assert [s["urn"] for s in a["schools"]] != [s["urn"] for s in b["schools"]][:140]


# The JSON `python -m solver generate` writes, byte for byte, as the generator wrote it
# before it was split into modules (commit 4781847): benchmarks and demos stay comparable.
PINNED = {
    (5, 0): "e7b4a4fc8afa0d44d63c755f29b9417264f5ad03ba20d838ede696d0cc3c61dd",
    (140, 3): "50ccfa5dc2bd2f7923a351046164295e44237462926aecb74fb9ef7772733960",
    (400, 0): "7cdccb51625aca2d7ea87d355969ad4aefee22654ac253c2d7eeae5b3cc446b0",
    (1000, 9): "12c2d93e92d40a2f16d47e309239b0f324253094b91a8a1638ee02b5fb0107a4",
}


@pytest.mark.parametrize("n, seed", sorted(PINNED))
def test_the_same_bytes_as_before(n, seed):
    text = json.dumps(generate(n, seed), indent=2)
    assert hashlib.sha256(text.encode()).hexdigest() == PINNED[(n, seed)]


def test_deterministic_across_processes_and_hash_seeds():
    # String hashing is randomised per process; a set iterated anywhere would show here.
    code = (
        "import json, hashlib; from solver.generate import generate; "
        "print(hashlib.sha256(json.dumps(generate(200, 3), sort_keys=True).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert digests == {_digest(generate(200, 3))}


# --- the contract --------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_json_serialisable_and_round_trips(n):
    scenario = generate(n, 1)
    assert json.loads(json.dumps(scenario)) == scenario


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", (0, 1, 2))
def test_loads_as_a_valid_scenario(n, seed):
    scenario = generate(n, seed)
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:  # pragma: no cover - the message is the point
        pytest.fail("\n".join(exc.errors))
    assert len(loaded.schools) == n
    assert len(loaded.reviewers) == len(scenario["reviewers"])


def test_top_level_shape_and_fixed_cycle_settings(la400):
    s = la400
    assert s["version"] == 1
    assert set(s) == {
        "version",
        "cycle",
        "schools",
        "reviewers",
        "reviews",
        "conflicts",
        "history",
        "support",
        "previous",
    }
    cycle = s["cycle"]
    assert (cycle["team_size"], cycle["visit_days"], cycle["lead_required"]) == (3, 1, True)
    assert cycle["freeze_before"] is None and s["previous"] == []
    assert cycle["policy"] == {
        "same_cluster": "forbid",
        "same_trust": "forbid",
        "reciprocal": "forbid",
        "no_repeat_cycles": 2,
        "phase_match": "require",
        "max_travel_km": 40.0,
        "support_conflict": "forbid",
    }
    assert cycle["weights"] == {
        "unstaffed": 100000.0,
        "unmet_support": 50000.0,
        "mileage_per_km": 0.30,
        "expertise": 150.0,
        "phase_mismatch": 1000.0,
        "change": 400.0,
        "date_change": 100.0,
    }


@pytest.mark.parametrize("n", (5, 140, 1000))
def test_ids_and_urns_are_unique_and_well_formed(n):
    s = generate(n, 4)
    urns = [x["urn"] for x in s["schools"]]
    assert len(set(urns)) == n
    assert all(len(u) == 6 and u.isdigit() for u in urns)
    codes = {x["la_code"] for x in s["schools"]}
    assert len(codes) == 1 and len(next(iter(codes))) == 3 and next(iter(codes)).isdigit()
    ids = [r["id"] for r in s["reviewers"]]
    assert len(set(ids)) == len(ids) and all(i.startswith("r-") and len(i) >= 6 for i in ids)
    for key, prefix in (("requests", "s-"), ("providers", "p-")):
        got = [x["id"] for x in s["support"][key]]
        assert len(set(got)) == len(got) and all(i.startswith(prefix) for i in got)
    reviewed = [v["school_urn"] for v in s["reviews"]]
    assert len(set(reviewed)) == len(reviewed)


@pytest.mark.parametrize("n", (5, 140, 1000))
def test_every_reference_points_at_something_real(n):
    s = generate(n, 5)
    urns = {x["urn"] for x in s["schools"]}
    ids = {r["id"] for r in s["reviewers"]}
    pids = {p["id"]: p for p in s["support"]["providers"]}
    for r in s["reviewers"]:
        if r["school_urn"] is None:
            assert r["role"] == "adviser"
        else:
            assert r["school_urn"] in urns and r["role"] in ("headteacher", "deputy")
    assert all(v["school_urn"] in urns for v in s["reviews"])
    assert all(q["school_urn"] in urns for q in s["support"]["requests"])
    assert all(p["school_urn"] in urns for p in pids.values())
    home = {r["id"]: r["school_urn"] for r in s["reviewers"]}
    for c in s["conflicts"]:
        assert c["school_urn"] in urns
        assert ("reviewer" in c) != ("provider" in c)
        if "reviewer" in c:
            assert c["reviewer"] in ids and c["reason"] in ("governor", "former employee", "family")
        else:
            assert c["provider"] in pids and pids[c["provider"]]["school_urn"] != c["school_urn"]
    for h in s["history"]:
        assert h["reviewer"] in ids and h["school_urn"] in urns
        assert h["school_urn"] != home[h["reviewer"]] and 1 <= h["cycles_ago"] <= 3


# --- sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_sizes_follow_the_arguments(n):
    s = generate(n, 0)
    assert len(s["schools"]) == n
    assert len(s["reviews"]) == max(1, round(0.33 * n))
    assert len(s["support"]["providers"]) >= 1
    # In a one-school LA the only school is the provider, and it cannot ask itself.
    assert len(s["support"]["requests"]) >= (1 if n >= 2 else 0)


def test_review_share_and_support_requests_are_honoured():
    s = generate(200, 0, review_share=0.5, support_requests=3)
    assert len(s["reviews"]) == 100 and len(s["support"]["requests"]) == 3
    assert len(generate(200, 0, review_share=1.0)["reviews"]) == 200
    none = generate(50, 0, support_requests=0)
    assert none["support"]["requests"] == [] and none["cycle"]["support_budget"] == 0.0


@pytest.mark.parametrize(
    "bad",
    (
        {"schools": 0},
        {"schools": 10, "review_share": 0},
        {"schools": 10, "review_share": 1.5},
        {"schools": 10, "support_requests": -1},
    ),
)
def test_bad_arguments_are_refused(bad):
    n = bad.pop("schools")
    with pytest.raises(ValueError):
        generate(n, **bad)


# --- realism -------------------------------------------------------------------------------


def test_phase_proportions_look_english(la400):
    phases = collections.Counter(x["phase"] for x in la400["schools"])
    share = {p: c / 400 for p, c in phases.items()}
    assert 0.75 <= share["primary"] <= 0.85
    assert 0.11 <= share["secondary"] <= 0.17
    assert 0.02 <= share["special"] <= 0.045
    for rare in ("all-through", "pru", "nursery", "16-plus"):
        assert 1 <= phases[rare] <= 8, rare
    assert set(phases) <= {"nursery", "primary", "middle", "secondary", "all-through", "special", "pru", "16-plus"}


def test_pupil_numbers_fit_the_phase(la400):
    ranges = {
        "primary": (100, 650),
        "secondary": (600, 1800),
        "special": (50, 250),
        "nursery": (50, 150),
        "pru": (20, 90),
        "all-through": (900, 2000),
        "16-plus": (500, 2200),
    }
    for x in la400["schools"]:
        lo, hi = ranges[x["phase"]]
        assert lo <= x["pupils"] <= hi, x


def test_geography_towns_clusters_and_trusts(la400):
    schools = la400["schools"]
    lat = sum(x["lat"] for x in schools) / len(schools)
    lon = sum(x["lon"] for x in schools) / len(schools)
    assert 51.8 < lat < 53.2 and -2.9 < lon < -0.9  # the English Midlands
    centre = {"lat": lat, "lon": lon}
    assert max(_km(centre, x) for x in schools) < 45
    clusters = collections.Counter(x["cluster"] for x in schools)
    assert all(6 <= c <= 20 for c in clusters.values()), clusters
    trusts = collections.Counter(x["trust"] for x in schools if x["trust"])
    assert 0.35 <= sum(trusts.values()) / 400 <= 0.45
    assert all(3 <= c <= 15 for c in trusts.values()), trusts
    # Trusts reach across cluster (town) boundaries, as real MATs do.
    spans = collections.defaultdict(set)
    for x in schools:
        if x["trust"]:
            spans[x["trust"]].add(x["cluster"])
    assert sum(len(v) > 1 for v in spans.values()) >= len(spans) // 2


def test_reviewers_look_like_heads_deputies_and_advisers(la400):
    s = la400
    reviewers = s["reviewers"]
    phase_of = {x["urn"]: x["phase"] for x in s["schools"]}
    roles = collections.Counter(r["role"] for r in reviewers)
    assert 0.85 * 400 <= roles["headteacher"] <= 0.97 * 400
    assert 0.05 * 400 <= roles["deputy"] <= 0.15 * 400
    assert 3 <= roles["adviser"] <= 20
    assert 0.35 <= sum(r["lead_accredited"] for r in reviewers) / len(reviewers) <= 0.45
    per_school = collections.Counter(r["school_urn"] for r in reviewers if r["school_urn"])
    assert max(per_school.values()) <= 2
    for r in reviewers:
        assert 1 <= r["max_reviews"] <= 3
        assert set(r["specialisms"]) <= set(TAGS) and len(r["specialisms"]) <= 3
        assert all(t == t.lower() for t in r["specialisms"])
        assert r["day_rate"] == round(r["day_rate"]) and 250 <= r["day_rate"] <= 700
        assert len(r["unavailable"]) <= 4
        if r["school_urn"]:
            assert r["phases"][0] == phase_of[r["school_urn"]]
        else:
            assert len(r["phases"]) >= 3
    heads = [r for r in reviewers if r["role"] == "headteacher"]
    primary_rates = [r["day_rate"] for r in heads if phase_of[r["school_urn"]] == "primary"]
    secondary_rates = [r["day_rate"] for r in heads if phase_of[r["school_urn"]] == "secondary"]
    assert min(primary_rates) >= 350 and max(primary_rates) <= 550
    assert min(secondary_rates) >= 450 and max(secondary_rates) <= 700


def test_reviews_conflicts_history_and_support_in_proportion(la400):
    s = la400
    reviews = s["reviews"]
    assert collections.Counter(v["priority"] for v in reviews).most_common(1)[0][0] == 1
    assert all(1 <= v["priority"] <= 3 and len(v["focus"]) <= 2 for v in reviews)
    assert sum(v["team_size"] is None for v in reviews) >= 0.9 * len(reviews)
    assert 1 <= sum(bool(v["earliest"] or v["latest"]) for v in reviews) <= 0.25 * len(reviews)
    assert 4 <= sum("reviewer" in c for c in s["conflicts"]) <= 20
    assert 1 <= sum("provider" in c for c in s["conflicts"]) <= 2
    with_history = {h["reviewer"] for h in s["history"]}
    assert 0.2 <= len(with_history) / len(s["reviewers"]) <= 0.4
    requests, providers = s["support"]["requests"], s["support"]["providers"]
    assert len(requests) == 32 and len(providers) == 24
    assert all(2 <= q["days"] <= 10 and q["priority"] in (1, 2) and q["focus"] for q in requests)
    assert all(5 <= p["capacity_days"] <= 20 and 300 <= p["day_rate"] <= 500 for p in providers)
    assert not {q["school_urn"] for q in requests} & {p["school_urn"] for p in providers}


def test_budgets_are_sized_to_the_work(la400):
    s = la400
    cycle = s["cycle"]
    rates = [r["day_rate"] for r in s["reviewers"]]
    places = sum(v["team_size"] or 3 for v in s["reviews"])
    expected = places * sum(rates) / len(rates)
    assert 1.04 * expected <= cycle["backfill_budget"] <= 1.21 * expected
    clusters = {x["cluster"] for x in s["schools"]}
    assert 1 <= len(cycle["cluster_budgets"]) <= 2
    assert set(cycle["cluster_budgets"]) <= clusters
    assert all(0 < b < cycle["backfill_budget"] / 4 for b in cycle["cluster_budgets"].values())
    demand = sum(q["days"] for q in s["support"]["requests"])
    providers = s["support"]["providers"]
    mean_rate = sum(p["day_rate"] for p in providers) / len(providers)
    assert 0.69 * demand * mean_rate <= cycle["support_budget"] <= 0.86 * demand * mean_rate
    assert sum(p["capacity_days"] for p in providers) >= demand


@pytest.mark.parametrize("n", (140, 400))
@pytest.mark.parametrize("seed", (0, 1, 2, 3))
def test_every_review_could_be_staffed_on_paper(n, seed):
    # A fair benchmark: the rules alone never make a review hopeless, so any unstaffed
    # review in a plan comes from the cycle's trade-offs (capacity, dates, budgets).
    s = generate(n, seed)
    for review in s["reviews"]:
        eligible = _eligible(s, review)
        size = review["team_size"] or s["cycle"]["team_size"]
        assert len(eligible) >= size, review
        assert any(r["lead_accredited"] for r in eligible), review


# --- the calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, start, end, half_term",
    (
        (2026, "2026-09-07", "2026-12-11", "2026-10-26"),
        (2025, "2025-09-08", "2025-12-12", "2025-10-27"),
        (2027, "2027-09-06", "2027-12-10", "2027-10-25"),
    ),
)
def test_autumn_term_calendar(year, start, end, half_term):
    cycle = generate(30, 0, year=year)["cycle"]
    assert cycle["window"] == {"start": start, "end": end}
    assert _day(start).weekday() == 0 and _day(end).weekday() == 4
    monday = _day(half_term)
    week = [(monday + dt.timedelta(days=i)).isoformat() for i in range(5)]
    assert set(week) <= set(cycle["excluded_dates"])
    inset = set(cycle["excluded_dates"]) - set(week)
    assert 1 <= len(inset) <= 2


@pytest.mark.parametrize("n, seed", ((5, 0), (140, 3), (1000, 1)))
def test_every_date_is_a_school_day_in_the_window(n, seed):
    s = generate(n, seed)
    cycle = s["cycle"]
    start, end = _day(cycle["window"]["start"]), _day(cycle["window"]["end"])
    assert all(start <= _day(d) <= end and _day(d).weekday() < 5 for d in cycle["excluded_dates"])
    days = _school_days(s)
    for x in s["schools"]:
        assert len(x["closed_dates"]) <= 2 and all(_day(d) in days for d in x["closed_dates"])
    for r in s["reviewers"]:
        assert all(_day(d) in days for d in r["unavailable"])
    for v in s["reviews"]:
        lo = _day(v["earliest"]) if v["earliest"] else start
        hi = _day(v["latest"]) if v["latest"] else end
        assert all(_day(d) in days for d in (v["earliest"], v["latest"]) if d)
        # A narrowed review still has at least three weeks of school days to choose from.
        assert sum(lo <= d <= hi for d in days) >= 15


# --- command line --------------------------------------------------------------------------


def test_main_writes_the_file(tmp_path):
    out = tmp_path / "la.json"
    assert main(["--schools", "20", "--seed", "3", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == generate(20, 3)


def test_main_prints_to_stdout(capsys):
    assert main(["--schools", "8", "--seed", "1", "--indent", "0"]) == 0
    text = capsys.readouterr().out
    assert text.count("\n") == 1 and json.loads(text) == generate(8, 1)


def test_main_refuses_bad_arguments(capsys):
    assert main(["--schools", "0"]) == 2
    assert "schools" in capsys.readouterr().err
