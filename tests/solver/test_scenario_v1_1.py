"""Scenario v1.1: every v1 document loads as before; each v1.1 field loads with its default,
only under "version": "1.1", and is refused, by JSON path, where its model cannot keep it."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from solver.generate import generate
from solver.scenario import Groups, ScenarioError, load_scenario


def errors_of(doc: dict) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(doc)
    return exc.value.errors


def v1_1(make, **cycle) -> dict:
    sc = make(reviews=("S1", "S2", "S3"), **cycle)
    sc["version"] = "1.1"
    return sc


@pytest.mark.parametrize("n,seed", [(12, 1), (60, 1), (140, 3)])
def test_a_v1_document_loads_as_v1(n, seed):
    sc = load_scenario(generate(n, seed))
    assert sc.version == "1" and sc.cycle.model == "teams" and sc.cycle.groups is None
    assert sc.cycle.visit_lengths == () and sc.cycle.follow_up is None and sc.cycle.load is None
    assert sc.group_history == () and all(rv.offered_dates is None and not rv.follow_up for rv in sc.reviews)
    assert all(sc.visit_days_of(rv) == sc.cycle.visit_days for rv in sc.reviews)


def test_v1_1_fields_in_a_v1_document_are_named_one_by_one(make):
    sc = make()
    sc["cycle"].update({"model": "groups", "follow_up": {"days": 1}, "policy": {"same_cluster": "require"}})
    sc["reviews"][0]["offered_dates"] = ["2026-09-08"]
    sc["group_history"] = []
    need = 'a v1.1 field: the scenario must say "version": "1.1"'
    assert errors_of(sc) == [
        f"cycle.model: {need}",
        f"cycle.follow_up: {need}",
        f"cycle.policy.same_cluster: require is {need}",
        f"reviews[0].offered_dates: {need}",
        f"group_history: {need}",
    ]


@pytest.mark.parametrize("version", [1.1, "1", 2, True, "2"])
def test_the_version_is_1_or_the_string_1_1(make, version):
    sc = make()
    sc["version"] = version
    assert 'version: must be 1 or "1.1"' in errors_of(sc)


def test_a_groups_cycle_gets_the_groups_defaults(make):
    sc = v1_1(make, model="groups", policy={"reciprocal": "allow"})
    loaded = load_scenario(sc)
    assert loaded.cycle.groups == Groups(min_size=3, max_size=3, avoid_rounds=2, facilitator="none", facilitators=())
    assert loaded.groups_model and loaded.version == "1.1"


def test_what_the_teams_model_cannot_schedule_is_refused(make):
    sc = v1_1(
        make,
        groups={"min_size": 3},
        visit_lengths=[{"days": 2}],
        follow_up={"days": 1},
        load={"max_spread": 2},
    )
    sc["reviews"][1]["visit_days"] = 2
    errs = errors_of(sc)
    assert "cycle.groups: only for cycle.model: groups" in errs
    assert any(
        e.startswith("cycle.visit_lengths: visit length by school size is scheduled by the groups model") for e in errs
    )
    assert any(e.startswith("cycle.follow_up: follow-ups are scheduled by the groups model") for e in errs)
    assert any(e.startswith("cycle.load.max_spread: a spread of loads is scheduled by the groups model") for e in errs)
    assert any(e.startswith("reviews[1].visit_days: a visit length of its own") for e in errs)


def test_what_the_groups_model_needs_of_the_rest(make):
    sc = v1_1(
        make,
        model="groups",
        groups={"min_size": 4, "max_size": 3, "facilitator": "required", "facilitators": ["r1", "nobody", "r1"]},
    )
    sc["cycle"]["policy"] = {"reciprocal": "forbid"}
    sc["reviews"][0]["team_size"] = 2
    sc["reviews"][1]["follow_up"] = True
    sc["support"] = {"requests": [{"id": "q1", "school_urn": "S1", "days": 2}], "providers": []}
    errs = errors_of(sc)
    assert errs[0] == "cycle.groups.max_size: max_size is below min_size"
    assert "reviews[1].follow_up: the cycle has no follow_up (cycle.follow_up sets its days and weeks)" in errs
    assert "cycle.policy.reciprocal: the schools of a group visit each other; set allow or leave it out" in errs
    assert any(e.startswith("reviews[0].team_size: in the groups model a team is one reviewer") for e in errs)
    assert "support.requests: the groups model schedules reviews only; support belongs to a teams cycle" in errs
    assert any(e.startswith("cycle.groups.facilitators[0]: r1 belongs to school S1") for e in errs)
    assert "cycle.groups.facilitators[1]: unknown reviewer 'nobody'" in errs
    assert "cycle.groups.facilitators[2]: 'r1' is listed twice" in errs


def test_a_facilitator_who_leads_must_be_accredited(make):
    sc = v1_1(
        make, model="groups", groups={"facilitator": "optional", "facilitators": ["f1"]}, policy={"reciprocal": "allow"}
    )
    sc["reviewers"].append({"id": "f1", "role": "facilitator"})
    assert errors_of(sc) == ["cycle.groups.facilitators[0]: f1 is not lead_accredited (a facilitator leads)"]
    sc["cycle"]["lead_required"] = False
    assert load_scenario(sc).cycle.groups.facilitators == ("f1",)


def test_dates_and_history_are_cross_checked(make):
    sc = v1_1(make)
    sc["reviews"][0]["offered_dates"] = ["2026-09-08", "2026-10-01"]
    sc["group_history"] = [{"schools": ["S1", "S9", "S1"], "cycles_ago": 1}, {"schools": ["S2"], "cycles_ago": 0}]
    errs = errors_of(sc)
    assert "reviews[0].offered_dates[1]: 2026-10-01 is outside the window 2026-09-07..2026-09-11" in errs
    assert "group_history[0].schools[1]: unknown school 'S9'" in errs
    assert "group_history[0].schools[2]: 'S1' is listed twice" in errs
    assert "group_history[1].schools: Shorter than minimum length 2." in errs
    assert "group_history[1].cycles_ago: Must be greater than or equal to 1." in errs


def test_visit_length_is_the_review_s_own_then_the_first_band_it_matches(make):
    sc = v1_1(
        make,
        model="groups",
        policy={"reciprocal": "allow"},
        visit_lengths=[
            {"phase": "secondary", "min_pupils": 1200, "days": 3},
            {"phase": "secondary", "days": 2},
            {"min_pupils": 400, "days": 2},
        ],
    )
    schools = sc["schools"]
    schools[0].update(phase="secondary", pupils=1500)
    schools[1].update(phase="secondary", pupils=900)
    schools[2].update(pupils=420)
    loaded = load_scenario(sc)
    assert [loaded.visit_days_of(rv) for rv in loaded.reviews] == [3, 2, 2]
    sc["reviews"][2]["visit_days"] = 1
    schools[1]["pupils"] = None  # unknown pupils count as 0: still a secondary
    loaded = load_scenario(sc)
    assert [loaded.visit_days_of(rv) for rv in loaded.reviews] == [3, 2, 1]


def test_offered_dates_and_follow_ups_load_as_dates(make):
    sc = v1_1(make, model="groups", policy={"reciprocal": "allow"}, follow_up={"min_weeks": 3})
    sc["reviews"][0].update(offered_dates=["2026-09-08", "2026-09-10"], follow_up=True)
    loaded = load_scenario(copy.deepcopy(sc))
    assert loaded.reviews[0].offered_dates == frozenset({dt.date(2026, 9, 8), dt.date(2026, 9, 10)})
    assert loaded.cycle.follow_up.min_weeks == 3 and loaded.cycle.follow_up.max_weeks == 6
    assert loaded.reviews[0].follow_up and not loaded.reviews[1].follow_up
