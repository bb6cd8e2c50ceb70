"""The checker's problems are precise: for each rule, a plan made by hand that breaks it once,
and the one problem it gives, with its rule, path into the plan, people, date and sentence."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from solver import check
from solver.check import ARITHMETIC, COVERAGE, FORMAT, Problem, check_problems
from solver.costs import price_plan
from solver.rules import RULE_BY_KEY
from solver.scenario import load_scenario

DAY = "2026-09-09"  # a Wednesday of the conftest's week


def visit(urn: str, team: list[str], date: str = DAY) -> dict:
    return {
        "school_urn": urn,
        "date": date,
        "days": [date],
        "team": [{"reviewer": rid, "role": "lead" if i == 0 else "member"} for i, rid in enumerate(team)],
    }


def plan_of(sc: dict, visits: list[dict], support: list[dict] = ()) -> dict:
    """A complete plan v1 with these visits and matches, priced by the formula."""
    staffed = {v["school_urn"] for v in visits}
    met = {m["request"] for m in support}
    requests = sc.get("support", {}).get("requests", [])
    plan = {
        "version": 1,
        "status": "FEASIBLE",
        "objective": None,
        "bound": None,
        "reviews": visits,
        "unstaffed": [
            {"school_urn": rv["school_urn"], "reasons": ["by hand"]}
            for rv in sc["reviews"]
            if rv["school_urn"] not in staffed
        ],
        "support": list(support),
        "unmet_support": [
            {"request": q["id"], "school_urn": q["school_urn"], "reasons": ["by hand"]}
            for q in requests
            if q["id"] not in met
        ],
        "costs": {},
        "changes": {},
        "warnings": [],
        "solver": {},
    }
    return price_plan(load_scenario(sc), plan)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.message for p in problems]
    return problems[0]


def test_a_valid_plan_has_no_problem(make):
    sc = make()
    assert check_problems(sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])) == []


# --- one case per rule: (scenario, plan) -> the expected problem --------------------------------


def _days(make):
    sc = make()
    sc["schools"][0]["closed_dates"] = [DAY]
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])


def _team(make):
    sc = make()
    sc["reviewers"][1]["lead_accredited"] = False
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])


def _capacity(make):
    sc = make()
    sc["reviewers"][2]["max_reviews"] = 0
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])


def _availability(make):
    sc = make(n_schools=8, reviews=("S1", "S5"))
    # r5 is on the visit to S1 while their own school S5 is visited the same day.
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r5"]), visit("S5", ["r6", "r7", "r8"])])


def _conflicts(make):
    sc = make()
    sc["conflicts"] = [{"reviewer": "r3", "school_urn": "S1", "reason": "governor"}]
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])


def _reciprocity(make):
    sc = make(reviews=("S1", "S2"))
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"]), visit("S2", ["r5", "r1", "r6"], "2026-09-10")])


def _budget(make):
    sc = make(cluster_budgets={"C3": 100.0})
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])


def _support(make):
    sc = make()
    sc["support"] = {
        "requests": [{"id": "q1", "school_urn": "S1", "days": 2}],
        "providers": [{"id": "p1", "school_urn": "S3", "capacity_days": 5}],
    }
    return sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])], [{"request": "q1", "provider": "p1"}])


def _stability(make):
    sc = make()
    sc["previous"] = [
        {
            "school_urn": "S1",
            "date": "2026-09-10",
            "locked": True,
            "team": [{"reviewer": "r4", "role": "lead"}, {"reviewer": "r5", "role": "member"}],
        }
    ]
    sc["reviews"][0]["team_size"] = 2
    return sc, plan_of(sc, [visit("S1", ["r4", "r5"])])


# --- v1.1: a trio of S1, S2, S3 in the groups model (three weeks, each head makes two visits) -----

MON, TUE, WED = "2026-09-07", "2026-09-08", "2026-09-09"


def trio_scenario(make, **cycle) -> dict:
    sc = make(reviews=("S1", "S2", "S3"), **cycle)
    sc["version"] = "1.1"
    sc["cycle"]["window"] = {"start": MON, "end": "2026-09-25"}
    sc["cycle"]["model"] = "groups"
    sc["cycle"]["policy"] = {"reciprocal": "allow"}
    for r in sc["reviewers"]:
        r["max_reviews"] = 2
    return sc


def trio_plan(sc: dict, visits: list[dict] | None = None, follow_ups: list[dict] = ()) -> dict:
    """The trio's plan: S1 visited by r2 and r3 on Monday, S2 by r1 and r3 on Tuesday, S3 by
    r1 and r2 on Wednesday (the first of each team leads), priced by the formula."""
    if visits is None:
        visits = [visit("S1", ["r2", "r3"], MON), visit("S2", ["r1", "r3"], TUE), visit("S3", ["r1", "r2"], WED)]
    plan = plan_of(sc, visits)
    plan.update(
        {"version": "1.1", "groups": [{"id": "G1", "schools": ["S1", "S2", "S3"]}], "follow_ups": list(follow_ups)}
    )
    return price_plan(load_scenario(sc), plan)


def _groups(make):
    sc = trio_scenario(make)
    visits = [visit("S1", ["r2"], MON), visit("S2", ["r1", "r3"], TUE), visit("S3", ["r1", "r2"], WED)]
    return sc, trio_plan(sc, visits)


def _rotation(make):
    sc = trio_scenario(make)
    sc["group_history"] = [{"schools": ["S1", "S2", "S6"], "cycles_ago": 1, "name": "2025-26"}]
    return sc, trio_plan(sc)


def _follow_up(make):
    sc = trio_scenario(make, follow_up={"days": 1, "min_weeks": 1, "max_weeks": 2})
    sc["reviews"][0]["follow_up"] = True
    return sc, trio_plan(sc)


def _load(make):
    sc = trio_scenario(make, load={"cycles": 3, "max_total": 2})
    sc["history"] = [{"reviewer": "r3", "school_urn": "S5", "cycles_ago": 1}]
    return sc, trio_plan(sc)


EXPECTED = {
    "days": (
        _days,
        "reviews[0].date",
        (),
        DAY,
        f"reviews[0] (S1 on {DAY}): rule 1 (days): school S1 is closed on {DAY}",
    ),
    "team": (
        _team,
        "reviews[0].team[0]",
        ("r2",),
        None,
        f"reviews[0] (S1 on {DAY}): rule 2 (team): lead r2 is not lead-accredited",
    ),
    "capacity": (
        _capacity,
        "reviews[0].team[1]",
        ("r3",),
        None,
        "rule 3 (capacity): r3 is on 1 visits, max_reviews is 0",
    ),
    "availability": (
        _availability,
        "reviews[0].team[2]",
        ("r5",),
        DAY,
        f"rule 4 (availability): r5 visits S1 on {DAY} while their own school S5 is being visited",
    ),
    "conflicts": (
        _conflicts,
        "reviews[0].team[1]",
        ("r3",),
        None,
        f"reviews[0] (S1 on {DAY}): rule 5 (conflicts): r3 may not review S1: declared conflict",
    ),
    "reciprocity": (
        _reciprocity,
        "reviews[1].team[1]",
        ("r1", "r2"),
        None,
        "rule 6 (reciprocity): reviewers of S1 visit S2 and reviewers of S2 visit S1",
    ),
    "budget": (
        _budget,
        "costs.backfill_by_cluster.C3",
        ("C3",),
        None,
        "rule 7 (budget): backfill of cluster C3 £330.00 exceeds its budget £100.00",
    ),
    "support": (
        _support,
        "support[0].provider",
        ("p1", "r3"),
        None,
        "rule 8 (support): p1 supports S1 while a reviewer from its school S3 visits it",
    ),
    "stability": (
        _stability,
        "reviews[0]",
        ("r4", "r5"),
        "2026-09-10",
        "rule 9 (stability): locked visit to S1 was changed",
    ),
    "groups": (
        _groups,
        "reviews[0].team",
        (),
        None,
        f"reviews[0] (S1 on {MON}): rule 10 (groups): no reviewer from S3 of its group",
    ),
    "rotation": (
        _rotation,
        "groups[0]",
        (),
        None,
        "groups[0] (G1): rule 11 (rotation): S1 and S2 were grouped together in 2025-26",
    ),
    "follow_up": (
        _follow_up,
        "reviews[0]",
        ("r2",),
        None,
        f"reviews[0] (S1 on {MON}): rule 12 (follow_up): the review asks for a follow-up and the plan has none",
    ),
    "load": (
        _load,
        "reviews[1].team[1]",
        ("r3",),
        None,
        "rule 13 (load): r3 would have 1 reviews in the last 3 cycles and more than 1 this cycle; max_total is 2",
    ),
}


def test_every_rule_of_the_registry_has_a_case():
    assert set(EXPECTED) == set(RULE_BY_KEY)


@pytest.mark.parametrize("rule", list(EXPECTED))
def test_each_rule_names_its_path_people_and_date(make, rule):
    build, path, who, date, message = EXPECTED[rule]
    sc, plan = build(make)
    p = only(check_problems(sc, plan))
    assert p == Problem(rule, path, who, date, message)
    assert RULE_BY_KEY[rule].label in p.message
    assert check(sc, plan) == [message]


# --- more than one problem, and the contract's other checks ----------------------------------------


def test_one_problem_per_breach_each_at_its_member(make):
    sc = make()
    for r in sc["reviewers"]:
        r["unavailable"] = [DAY] if r["id"] in ("r2", "r4") else []
    problems = check_problems(sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])]))
    assert [(p.rule, p.path, p.who, p.date) for p in problems] == [
        ("availability", "reviews[0].team[0]", ("r2",), DAY),
        ("availability", "reviews[0].team[2]", ("r4",), DAY),
    ]


def test_double_booking_is_placed_at_the_second_visit(make):
    sc = make(n_schools=8, reviews=("S1", "S6"))
    sc["reviewers"][2]["max_reviews"] = 2
    plan = plan_of(sc, [visit("S1", ["r2", "r3", "r4"]), visit("S6", ["r5", "r3", "r7"])])
    p = only(check_problems(sc, plan))
    assert (p.rule, p.path, p.who, p.date) == ("availability", "reviews[1].team[1]", ("r3",), DAY)
    assert p.message == f"rule 4 (availability): r3 is on visits to S1 and S6 on {DAY}"


def test_two_leads_name_both(make):
    sc = make()
    plan = plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])
    plan["reviews"][0]["team"][1]["role"] = "lead"
    p = only(check_problems(sc, plan))
    assert (p.rule, p.path, p.who) == ("team", "reviews[0].team", ("r2", "r3"))


def test_new_visit_before_freeze_is_rule_9_at_its_date(make):
    sc = make(freeze_before="2026-09-10")
    p = only(check_problems(sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])))
    assert (p.rule, p.path, p.date) == ("stability", "reviews[0].date", DAY)


def test_provider_over_capacity_is_placed_at_the_match_too_many(make):
    sc = make()
    sc["support"] = {
        "requests": [{"id": "q1", "school_urn": "S5", "days": 2}, {"id": "q2", "school_urn": "S6", "days": 2}],
        "providers": [{"id": "p1", "school_urn": "S4", "capacity_days": 3}],
    }
    matches = [{"request": "q1", "provider": "p1"}, {"request": "q2", "provider": "p1"}]
    p = only(check_problems(sc, plan_of(sc, [visit("S1", ["r2", "r3", "r4"])], matches)))
    assert (p.rule, p.path, p.who) == ("support", "support[1].provider", ("p1",))
    assert p.message == "rule 8 (support): provider p1 gives 4 days, capacity is 3"


def test_format_coverage_and_arithmetic(make):
    sc = make(reviews=("S1", "S2"), policy={"reciprocal": "allow"})
    plan = plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])
    del plan["status"]
    assert [(p.rule, p.path) for p in check_problems(sc, plan)] == [(FORMAT, "status")]
    plan = plan_of(sc, [visit("S1", ["r2", "r3", "r4"])])
    plan["unstaffed"] = []
    plan["objective"] += 1.0
    got = [(p.rule, p.path) for p in check_problems(sc, plan)]
    assert got == [(COVERAGE, "unstaffed"), (ARITHMETIC, "objective")]
    plan = plan_of(sc, [visit("S1", ["r2", "r3", "nobody"])])
    p = only(check_problems(sc, plan))
    assert (p.rule, p.path, p.who) == (FORMAT, "reviews[0].team[2].reviewer", ("nobody",))


def test_problems_serialise(make):
    build, *_ = EXPECTED["availability"]
    sc, plan = build(make)
    d = only(check_problems(sc, plan)).as_dict()
    assert json.loads(json.dumps(d)) == {
        "rule": "availability",
        "path": "reviews[0].team[2]",
        "who": ["r5"],
        "date": DAY,
        "message": f"rule 4 (availability): r5 visits S1 on {DAY} while their own school S5 is being visited",
    }


def test_cli_check_json_lists_the_problems(make, tmp_path):
    build, path, who, date, message = EXPECTED["conflicts"]
    sc, plan = build(make)
    (tmp_path / "s.json").write_text(json.dumps(sc))
    (tmp_path / "p.json").write_text(json.dumps(plan))
    cmd = [sys.executable, "-m", "solver", "check", str(tmp_path / "s.json"), str(tmp_path / "p.json")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == message + "\n"
    r = subprocess.run(cmd + ["--json"], capture_output=True, text=True)
    assert r.returncode == 1
    assert json.loads(r.stdout) == [
        {"rule": "conflicts", "path": path, "who": list(who), "date": date, "message": message}
    ]


# --- v1.1: the groups checks in more detail ---------------------------------------------------------


def test_the_trio_plan_is_valid(make):
    sc = trio_scenario(make)
    assert check_problems(sc, trio_plan(sc)) == []


def test_a_trio_visit_on_a_day_shared_with_another_of_its_visits_is_rule_4(make):
    sc = trio_scenario(make)
    visits = [visit("S1", ["r2", "r3"], MON), visit("S2", ["r1", "r3"], MON), visit("S3", ["r1", "r2"], WED)]
    rules = {p.rule for p in check_problems(sc, trio_plan(sc, visits))}
    assert rules == {"availability"}


def test_a_school_in_no_group_with_a_visit_and_a_group_school_without_one(make):
    sc = trio_scenario(make)
    plan = trio_plan(sc)
    plan["groups"] = [{"id": "G1", "schools": ["S1", "S2"]}]
    messages = [p.message for p in check_problems(sc, plan)]
    assert "groups[0] (G1): rule 10 (groups): 2 schools; a group has 3" in messages
    assert f"reviews[2] (S3 on {WED}): rule 10 (groups): school S3 is visited but is in no group" in messages


def test_a_facilitator_must_lead_where_the_cycle_requires_one(make):
    sc = trio_scenario(make)
    sc["reviewers"].append({"id": "f1", "role": "facilitator", "lead_accredited": True, "max_reviews": 3})
    sc["cycle"]["groups"] = {"facilitator": "required", "facilitators": ["f1"]}
    plan = trio_plan(sc)
    problems = check_problems(sc, plan)
    assert {p.path for p in problems} == {"reviews[0].team", "reviews[1].team", "reviews[2].team"}
    assert all("no facilitator; the cycle has one lead every review" in p.message for p in problems)
    led = [
        visit("S1", ["f1", "r2", "r3"], MON),
        visit("S2", ["f1", "r1", "r3"], TUE),
        visit("S3", ["f1", "r1", "r2"], WED),
    ]
    assert check_problems(sc, trio_plan(sc, led)) == []


def test_a_follow_up_by_another_lead_or_too_soon_is_rule_12(make):
    sc = trio_scenario(make, follow_up={"days": 1, "min_weeks": 1, "max_weeks": 2})
    sc["reviews"][0]["follow_up"] = True
    good = {"school_urn": "S1", "date": "2026-09-14", "days": ["2026-09-14"], "lead": "r2"}
    assert check_problems(sc, trio_plan(sc, follow_ups=[good])) == []
    wrong = dict(good, lead="r3", date="2026-09-10", days=["2026-09-10"])
    messages = [p.message for p in check_problems(sc, trio_plan(sc, follow_ups=[wrong]))]
    assert "follow_ups[0] (S1 on 2026-09-10): rule 12 (follow_up): led by r3, but r2 leads the visit" in messages
    assert any("2026-09-10 is not 1 to 2 weeks after the visit on 2026-09-07" in m for m in messages)


def test_the_spread_of_loads_names_the_highest_and_lowest(make):
    sc = trio_scenario(make, load={"cycles": 3, "max_spread": 0})
    sc["history"] = [{"reviewer": "r1", "school_urn": "S5", "cycles_ago": 2}]
    (p,) = check_problems(sc, trio_plan(sc))
    assert p.rule == "load" and p.who == ("r1", "r2")
    assert "spread from 2 (r2) to 3 (r1); max_spread is 0" in p.message
