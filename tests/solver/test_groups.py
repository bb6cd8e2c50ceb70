"""The groups model (v1.1) and the v1.1 fields in the teams model: each test bends one rule and
watches it bind, on a plan the independent checker passes (conftest's `solved`)."""

from __future__ import annotations

import copy
import datetime as dt
import itertools

import pytest

from solver import check, load_scenario, solve
from solver.generate import generate

MON, TUE, WED, THU, FRI = "2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"


def groups_cycle(make, n: int = 6, weeks: int = 3, **cycle) -> dict:
    """n primary schools a km or so apart, all taking part, in trios; each head may make two visits."""
    sc = make(n_schools=n, reviews=tuple(f"S{i}" for i in range(1, n + 1)), **cycle)
    sc["version"] = "1.1"
    end = dt.date(2026, 9, 11) + dt.timedelta(weeks=weeks - 1)
    sc["cycle"]["window"] = {"start": MON, "end": end.isoformat()}
    sc["cycle"]["model"] = "groups"
    sc["cycle"].setdefault("policy", {})["reciprocal"] = "allow"
    for r in sc["reviewers"]:
        r["max_reviews"] = 2
    return sc


def groups_of(plan: dict) -> set[frozenset[str]]:
    return {frozenset(g["schools"]) for g in plan["groups"]}


def pairs_of(groups) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(g), 2)}


def test_six_schools_make_two_trios_each_school_hosting_once(make, solved):
    plan = solved(groups_cycle(make))
    assert plan["version"] == "1.1" and plan["status"] == "OPTIMAL"
    assert len(plan["groups"]) == 2 and not plan["unstaffed"]
    for g in plan["groups"]:
        visits = [v for v in plan["reviews"] if v["school_urn"] in g["schools"]]
        assert sorted(v["school_urn"] for v in visits) == sorted(g["schools"])
        assert len({v["date"] for v in visits}) == 3  # each school hosts or is away, never both
        for v in visits:
            homes = sorted(m["reviewer"].replace("r", "S") for m in v["team"])
            assert homes == sorted(set(g["schools"]) - {v["school_urn"]})
    assert plan["bound"] <= plan["objective"] < plan["bound"] + 0.01


def test_rotation_keeps_last_rounds_groups_apart(make, solved):
    sc = groups_cycle(make, n=9)
    first = groups_of(solved(sc))
    assert len(first) == 3
    sc["group_history"] = [{"schools": sorted(g), "cycles_ago": 1, "name": "2025-26"} for g in first]
    second = solved(sc)
    assert len(second["groups"]) == 3  # each new trio takes one school of each old one
    assert not pairs_of(groups_of(second)) & pairs_of(first)
    # Three rounds ago is beyond avoid_rounds (2): the cheapest groups are allowed again.
    for g in sc["group_history"]:
        g["cycles_ago"] = 3
    assert groups_of(solved(sc)) == first


def test_a_school_left_out_has_a_reason_naming_what_kept_it_out(make, solved):
    sc = groups_cycle(make, n=4, policy={"max_travel_km": 5.0})
    sc["schools"][3].update(lat=52.5, lon=-1.5)  # 50 km north of the others
    plan = solved(sc)
    assert groups_of(plan) == {frozenset({"S1", "S2", "S3"})}
    (out,) = plan["unstaffed"]
    assert out["school_urn"] == "S4"
    assert out["reasons"] == ["no group of 3 within 5 km (S1: too far; S2: too far; S3: too far)"]


def test_rotation_and_distance_together_in_the_reason(make, solved):
    sc = groups_cycle(make, n=4, policy={"max_travel_km": 2.5})
    sc["group_history"] = [{"schools": ["S1", "S2"], "cycles_ago": 1, "name": "2025-26"}]
    plan = solved(sc)
    reasons = {u["school_urn"]: u["reasons"][0] for u in plan["unstaffed"]}
    # S1 may join only S2 (rotation) and S3 (2.2 km): S2 and S3 are the trio with S4.
    assert groups_of(plan) == {frozenset({"S2", "S3", "S4"})}
    assert reasons["S1"].startswith("no group of 3 within 2.5 km without repeating a pairing of 2025-26")
    assert "S2: grouped together in 2025-26" in reasons["S1"] and "S4: too far" in reasons["S1"]


def test_visits_last_by_school_size_on_days_of_one_week(make, solved):
    sc = groups_cycle(make, n=3, visit_lengths=[{"phase": "secondary", "min_pupils": 1200, "days": 3}])
    for s in sc["schools"]:
        s["phase"] = "secondary"
    sc["schools"][0]["pupils"] = 1500
    plan = solved(sc)
    days = {v["school_urn"]: v["days"] for v in plan["reviews"]}
    assert len(days["S1"]) == 3 and len(days["S2"]) == len(days["S3"]) == 1
    week = {dt.date.fromisoformat(d).isocalendar()[1] for d in days["S1"]}
    assert len(week) == 1
    assert not set(days["S1"]) & (set(days["S2"]) | set(days["S3"]))


def test_the_host_s_offered_dates_are_kept(make, solved):
    sc = groups_cycle(make, n=3, weeks=1)
    sc["reviews"][0]["offered_dates"] = [THU]
    plan = solved(sc)
    assert next(v["date"] for v in plan["reviews"] if v["school_urn"] == "S1") == THU


def test_a_follow_up_is_led_by_the_visit_s_lead_weeks_later(make, solved):
    sc = groups_cycle(make, n=3, weeks=6, follow_up={"days": 1, "min_weeks": 2, "max_weeks": 4})
    sc["reviews"][1]["follow_up"] = True
    plan = solved(sc)
    (fu,) = plan["follow_ups"]
    visit = next(v for v in plan["reviews"] if v["school_urn"] == "S2")
    lead = next(m["reviewer"] for m in visit["team"] if m["role"] == "lead")
    assert fu["school_urn"] == "S2" and fu["lead"] == lead
    assert 14 <= (dt.date.fromisoformat(fu["date"]) - dt.date.fromisoformat(visit["date"])).days <= 28
    # The follow-up is costed: the lead's day rate for its day, on top of the visits.
    without = copy.deepcopy(sc)
    without["reviews"][1]["follow_up"] = False
    base = solved(without)["objective"]
    assert plan["objective"] > base + 300


def test_a_follow_up_too_late_for_the_window_leaves_the_trio_out(make, solved):
    sc = groups_cycle(make, n=3, weeks=1, follow_up={"days": 1, "min_weeks": 2, "max_weeks": 4})
    sc["reviews"][0]["follow_up"] = True
    plan = solved(sc)
    assert not plan["groups"] and len(plan["unstaffed"]) == 3
    assert "have no dates on which every visit (and follow-up) fits" in plan["unstaffed"][0]["reasons"][0]


def test_an_optional_facilitator_leads_where_no_member_may(make, solved):
    sc = groups_cycle(make, n=3, groups={"facilitator": "optional", "facilitators": ["f1"]})
    for r in sc["reviewers"]:
        r["lead_accredited"] = r["id"] == "r1"
    sc["reviewers"].append(
        {"id": "f1", "role": "facilitator", "lead_accredited": True, "max_reviews": 3, "day_rate": 600.0}
    )
    plan = solved(sc)
    led = {v["school_urn"]: next(m["reviewer"] for m in v["team"] if m["role"] == "lead") for v in plan["reviews"]}
    assert led == {"S1": "f1", "S2": "r1", "S3": "r1"}  # only at S1 is no member accredited (r1 is at home)
    sc["cycle"]["groups"]["facilitator"] = "none"
    plan = solved(sc)
    assert not plan["groups"]
    assert "have no lead-accredited reviewer for every visit" in plan["unstaffed"][0]["reasons"][0]


def test_a_required_facilitator_is_on_every_visit_within_their_room(make, solved):
    sc = groups_cycle(make, n=6, groups={"facilitator": "required", "facilitators": ["f1"]})
    sc["reviewers"].append(
        {"id": "f1", "role": "facilitator", "lead_accredited": True, "max_reviews": 3, "day_rate": 600.0}
    )
    plan = solved(sc)
    assert len(plan["groups"]) == 1  # room for three visits: one trio
    assert all(v["team"][0] == {"reviewer": "f1", "role": "lead"} for v in plan["reviews"])
    assert len({v["date"] for v in plan["reviews"]}) == 3


def test_the_load_ceiling_sends_the_deputy(make, solved):
    sc = groups_cycle(make, n=3, load={"cycles": 3, "max_total": 2}, policy={"no_repeat_cycles": 0})
    sc["reviewers"].append({"id": "d1", "school_urn": "S1", "role": "deputy", "max_reviews": 1, "day_rate": 280.0})
    sc["reviewers"][0]["day_rate"] = 200.0  # the head is cheaper, but has done a review already
    sc["history"] = [{"reviewer": "r1", "school_urn": "S3", "cycles_ago": 2}]
    plan = solved(sc)
    on = [m["reviewer"] for v in plan["reviews"] for m in v["team"]]
    assert on.count("r1") == 1 and on.count("d1") == 1


def test_a_locked_visit_keeps_its_group_date_and_team(make, solved):
    sc = groups_cycle(make)
    first = solved(sc)
    kept = next(v for v in first["reviews"] if v["school_urn"] == "S6")
    sc["previous"] = [dict(kept, locked=True) for kept in [{k: kept[k] for k in ("school_urn", "date", "team")}]]
    sc["reviewers"][0]["day_rate"] = 900.0  # the plan would change if it could
    second = solved(sc)
    again = next(v for v in second["reviews"] if v["school_urn"] == "S6")
    assert (again["date"], again["team"]) == (kept["date"], kept["team"])


def test_the_same_cluster_rule_can_require_the_cluster(make, solved):
    sc = make(n_schools=6, reviews=("S1",), team_size=2)
    sc["version"] = "1.1"
    for s in sc["schools"]:
        s["cluster"] = "North" if s["urn"] in ("S1", "S5", "S6") else "South"
    sc["cycle"]["policy"] = {"same_cluster": "require"}
    plan = solved(sc)
    assert sorted(m["reviewer"] for m in plan["reviews"][0]["team"]) == ["r5", "r6"]  # not the cheaper r2, r3


def test_offered_dates_and_the_load_ceiling_bind_in_the_teams_model(make, solved):
    sc = make(n_schools=6, reviews=("S1",), team_size=2)
    sc["version"] = "1.1"
    sc["reviews"][0]["offered_dates"] = [FRI]
    sc["cycle"]["load"] = {"cycles": 3, "max_total": 1}
    sc["history"] = [{"reviewer": "r2", "school_urn": "S6", "cycles_ago": 3}]
    plan = solved(sc)
    assert plan["reviews"][0]["date"] == FRI
    assert sorted(m["reviewer"] for m in plan["reviews"][0]["team"]) == ["r3", "r4"]  # r2 has had their review


def test_a_v1_scenario_solves_to_the_objective_it_always_did():
    plan = solve(generate(60, 1), time_limit=30, workers=2)
    assert plan["version"] == 1 and plan["status"] == "OPTIMAL"
    assert round(plan["objective"], 2) == 78612.13
    assert "groups" not in plan and "follow_ups" not in plan


def test_the_generator_s_groups_cycle_is_deterministic_and_valid():
    a, b = generate(100, 2, model="groups"), generate(100, 2, model="groups")
    assert a == b and a != generate(100, 3, model="groups")
    sc = load_scenario(a)
    assert sc.groups_model and sc.cycle.groups.facilitators and sc.group_history
    v1 = generate(100, 2)
    assert [s["urn"] for s in a["schools"]] == [s["urn"] for s in v1["schools"]]  # the same LA
    with pytest.raises(ValueError, match="model"):
        generate(10, model="trios")


@pytest.mark.slow
def test_a_generated_la_of_100_schools_in_trios():
    sc = generate(100, 1, model="groups")
    plan = solve(copy.deepcopy(sc), time_limit=30, workers=2)
    assert check(sc, plan) == []
    grouped = {u for g in plan["groups"] for u in g["schools"]}
    assert all(u["reasons"] for u in plan["unstaffed"])
    assert grouped | {u["school_urn"] for u in plan["unstaffed"]} == {rv["school_urn"] for rv in sc["reviews"]}
    recent = pairs_of(g["schools"] for g in sc["group_history"] if g["cycles_ago"] <= 2)
    assert not pairs_of(g["schools"] for g in plan["groups"]) & recent
    assert plan["bound"] is not None and plan["objective"] - plan["bound"] <= 0.01 * plan["objective"]


def test_progress_reports_only_bounds_of_the_whole_cycle():
    sc = generate(100, 3, model="groups")
    seen = []
    plan = solve(sc, time_limit=20, workers=2, on_progress=lambda obj, bound, t: seen.append((obj, bound)))
    assert seen and plan["bound"] is not None
    bounds = [b for _, b in seen if b is not None]
    # Every bound reported holds for the cycle: none above the plan's own objective.
    assert bounds and max(bounds) <= plan["objective"] + 0.01


def test_a_frozen_visit_stands_with_a_warning_and_a_locked_one_cannot_break_a_rule(make, solved):
    sc = groups_cycle(make)
    first = solved(sc)
    sc["previous"] = [{k: v[k] for k in ("school_urn", "date", "team")} for v in first["reviews"]]
    earliest = min(first["reviews"], key=lambda v: (v["date"], v["school_urn"]))
    lead = earliest["team"][0]["reviewer"]
    next(r for r in sc["reviewers"] if r["id"] == lead)["unavailable"] = [earliest["date"]]
    sc["cycle"]["freeze_before"] = (dt.date.fromisoformat(earliest["date"]) + dt.timedelta(days=1)).isoformat()
    frozen = solved(sc)  # the checker passes it: the frozen visit is kept and warned of
    assert frozen["warnings"] == [
        {
            "school_urn": earliest["school_urn"],
            "message": f"frozen visit on {earliest['date']} kept: rule 4 (availability): {lead} is unavailable on {earliest['date']}",
        }
    ]
    sc["cycle"]["freeze_before"] = None
    for pv in sc["previous"]:
        pv["locked"] = pv["school_urn"] == earliest["school_urn"]
    locked = solve(copy.deepcopy(sc), time_limit=5, workers=1)
    assert locked["status"] == "INFEASIBLE"
    assert f"locked visit on {earliest['date']} breaks rule 4 (availability)" in locked["warnings"][0]["message"]
