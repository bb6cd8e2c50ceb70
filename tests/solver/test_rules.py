"""One test per hard rule of scenario.md, each on a scenario where the rule binds: the plan
differs from what it would be without the rule. Every plan also passes the checker."""

from __future__ import annotations

import pytest

WEEK = ["2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-11"]


def test_unconstrained_team_is_the_three_cheapest(make, solved, team):
    plan = solved(make())
    assert plan["status"] == "OPTIMAL"
    assert team(plan, "S1") == ["r2", "r3", "r4"]


# --- rule 1: days ---------------------------------------------------------------------


def test_rule1_excluded_dates_move_the_visit(make, solved, visit):
    sc = make(excluded_dates=[d for d in WEEK if d != "2026-09-09"])
    assert visit(solved(sc), "S1")["date"] == "2026-09-09"


def test_rule1_school_closed_dates(make, solved, visit):
    sc = make()
    sc["schools"][0]["closed_dates"] = [d for d in WEEK if d != "2026-09-10"]
    assert visit(solved(sc), "S1")["date"] == "2026-09-10"


def test_rule1_review_window(make, solved, visit):
    sc = make()
    sc["reviews"][0].update(earliest="2026-09-08", latest="2026-09-08")
    assert visit(solved(sc), "S1")["date"] == "2026-09-08"


def test_rule1_weekend_never_used(make, solved, visit):
    sc = make()
    sc["cycle"]["window"] = {"start": "2026-09-11", "end": "2026-09-14"}  # Fri .. Mon
    sc["schools"][0]["closed_dates"] = ["2026-09-11"]
    assert visit(solved(sc), "S1")["date"] == "2026-09-14"


def test_rule1_multi_day_visit_stays_in_one_week(make, solved, visit):
    sc = make(visit_days=2)
    sc["cycle"]["window"] = {"start": "2026-09-07", "end": "2026-09-18"}
    sc["reviews"][0].update(earliest="2026-09-11", latest="2026-09-15")
    v = visit(solved(sc), "S1")
    # Friday 11th would run into Monday 14th: the first valid start is Monday.
    assert v["date"] == "2026-09-14"
    assert v["days"] == ["2026-09-14", "2026-09-15"]


def test_rule1_no_date_at_all_is_explained(make, solved):
    sc = make(visit_days=2)
    sc["reviews"][0].update(earliest="2026-09-11", latest="2026-09-11")
    plan = solved(sc)
    assert plan["reviews"] == []
    assert "no possible visit date" in plan["unstaffed"][0]["reasons"][0]


# --- rule 2: team and lead ---------------------------------------------------------------


def test_rule2_lead_must_be_accredited(make, solved, team):
    sc = make()
    for r in sc["reviewers"]:
        r["lead_accredited"] = r["id"] == "r6"
    plan = solved(sc)
    assert "r6" in team(plan, "S1")  # the dearest, but the only lead
    lead = [m for m in plan["reviews"][0]["team"] if m["role"] == "lead"]
    assert [m["reviewer"] for m in lead] == ["r6"]


def test_rule2_no_lead_no_visit(make, solved):
    sc = make()
    for r in sc["reviewers"]:
        r["lead_accredited"] = False
    plan = solved(sc)
    assert plan["reviews"] == []
    assert "lead-accredited" in plan["unstaffed"][0]["reasons"][0]


def test_rule2_without_lead_required_all_members(make, solved):
    sc = make(lead_required=False)
    for r in sc["reviewers"]:
        r["lead_accredited"] = False
    plan = solved(sc)
    assert {m["role"] for m in plan["reviews"][0]["team"]} == {"member"}


def test_rule2_review_team_size(make, solved, team):
    sc = make()
    sc["reviews"][0]["team_size"] = 2
    assert team(solved(sc), "S1") == ["r2", "r3"]


def test_rule2_no_half_teams(make, solved):
    sc = make(n_schools=3)  # only r2 and r3 may review S1
    plan = solved(sc)
    assert plan["reviews"] == []
    assert plan["unstaffed"][0]["reasons"][0].startswith("only 2 eligible reviewers; team_size is 3")


# --- rule 3: capacity -----------------------------------------------------------------------


def test_rule3_capacity(make, solved):
    sc = make(reviews=("S1", "S2", "S3"), policy={"reciprocal": "allow"})
    plan = solved(sc)
    assert len(plan["reviews"]) == 2  # 9 seats, 6 reviewers with one visit each
    assert any("capacity" in r for r in plan["unstaffed"][0]["reasons"])
    for r in sc["reviewers"]:
        r["max_reviews"] = 2
    assert len(solved(sc)["reviews"]) == 3


# --- rule 4: availability -------------------------------------------------------------------


def test_rule4_unavailable_days_move_the_visit(make, solved, team, visit):
    sc = make()
    sc["reviewers"][1]["unavailable"] = WEEK[:4]  # r2 is free on Friday only
    plan = solved(sc)
    assert "r2" in team(plan, "S1") and visit(plan, "S1")["date"] == WEEK[4]


def test_rule4_unavailable_all_week_drops_the_reviewer(make, solved, team):
    sc = make()
    sc["reviewers"][1]["unavailable"] = WEEK
    assert "r2" not in team(solved(sc), "S1")


def test_rule4_head_at_home_while_own_school_visited(make, solved, team):
    # Both visits on the same Tuesday: r1 and r2 must stay home, r3..r8 fill both teams.
    sc = make(n_schools=8, reviews=("S1", "S2"), policy={"reciprocal": "allow"})
    for rv in sc["reviews"]:
        rv.update(earliest="2026-09-08", latest="2026-09-08")
    plan = solved(sc)
    assert len(plan["reviews"]) == 2
    assert "r1" not in team(plan, "S2") and "r2" not in team(plan, "S1")
    sc["reviews"][1].update(earliest="2026-09-09", latest="2026-09-09")  # different days: allowed
    plan = solved(sc)
    assert "r1" in team(plan, "S2") and "r2" in team(plan, "S1")


def test_rule4_one_visit_a_day(make, solved, visit):
    sc = make(reviews=("S5", "S6"), policy={"reciprocal": "allow"})
    sc["reviewers"][0]["max_reviews"] = 2  # r1 is cheapest for both
    for rv in sc["reviews"]:
        rv.update(earliest="2026-09-08", latest="2026-09-09")
    plan = solved(sc)
    assert visit(plan, "S5")["date"] != visit(plan, "S6")["date"]


# --- rule 5: conflicts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bend, reason",
    [
        (lambda sc: sc.setdefault("conflicts", []).append({"reviewer": "r2", "school_urn": "S1"}), "declared conflict"),
        (
            lambda sc: sc.setdefault("history", []).append({"reviewer": "r2", "school_urn": "S1", "cycles_ago": 2}),
            "reviewed it recently",
        ),
        (lambda sc: sc["schools"][1].update(cluster="C1"), "same cluster"),
        (lambda sc: [s.update(trust="Oak MAT") for s in sc["schools"][:2]], "same trust"),
        (lambda sc: sc["schools"][1].update(phase="secondary"), "phase not theirs"),
        (lambda sc: sc["schools"][1].update(lat=53.0), "too far"),
    ],
)
def test_rule5_conflicts_exclude_the_cheapest(make, solved, team, bend, reason):
    sc = make(policy={"max_travel_km": 30.0})
    bend(sc)
    plan = solved(sc)
    assert "r2" not in team(plan, "S1")
    # The same bend on a cycle with too few reviewers names the rule in the reasons.
    sc["reviewers"] = sc["reviewers"][:4]
    sc["schools"] = sc["schools"][:4]
    plan = solved(sc)
    assert plan["reviews"] == [] and f"1 {reason}" in plan["unstaffed"][0]["reasons"][0]


def test_rule5_old_history_and_allow_policies_do_not_bind(make, solved, team):
    sc = make(policy={"same_cluster": "allow", "same_trust": "allow", "phase_match": "ignore"})
    sc["history"] = [{"reviewer": "r2", "school_urn": "S1", "cycles_ago": 3}]
    sc["schools"][1].update(cluster="C1", trust="T", phase="secondary")
    sc["schools"][0]["trust"] = "T"
    assert "r2" in team(solved(sc), "S1")


def test_rule5_phase_prefer_costs_a_mismatch(make, solved, team):
    sc = make(policy={"phase_match": "prefer"})
    sc["schools"][1]["phase"] = "secondary"  # r2 now works in secondary only
    plan = solved(sc)
    assert "r2" not in team(plan, "S1")
    sc["cycle"]["weights"] = {"phase_mismatch": 1.0}
    assert "r2" in team(solved(sc), "S1")


# --- rule 6: reciprocity ----------------------------------------------------------------------


def test_rule6_reciprocity(make, solved, team):
    sc = make(reviews=("S1", "S2"), policy={"reciprocal": "allow"})
    for r in sc["reviewers"]:
        r["max_reviews"] = 2
    plan = solved(sc)
    assert "r2" in team(plan, "S1") and "r1" in team(plan, "S2")
    sc["cycle"]["policy"]["reciprocal"] = "forbid"
    plan = solved(sc)
    assert not ("r2" in team(plan, "S1") and "r1" in team(plan, "S2"))
    assert len(plan["reviews"]) == 2


# --- rule 7: budgets ---------------------------------------------------------------------------


def test_rule7_backfill_budget(make, solved):
    sc = make(reviews=("S1", "S6"), backfill_budget=1000.0)
    plan = solved(sc)
    assert len(plan["reviews"]) == 1 and plan["costs"]["backfill"] <= 1000.0
    assert any("backfill budget" in r for r in plan["unstaffed"][0]["reasons"])


def test_rule7_cluster_budget(make, solved, team):
    sc = make(cluster_budgets={"K": 0.0}, policy={"same_cluster": "allow"})
    sc["schools"][1]["cluster"] = sc["schools"][2]["cluster"] = "K"
    plan = solved(sc)
    assert team(plan, "S1") == ["r4", "r5", "r6"]
    assert plan["costs"]["backfill_by_cluster"] == {"K": 0.0}


# --- rule 8: support ---------------------------------------------------------------------------


def _support(sc, requests, providers):
    sc["support"] = {"requests": requests, "providers": providers}
    return sc


def test_rule8_provider_capacity(make, solved):
    sc = _support(
        make(),
        [{"id": "q1", "school_urn": "S3", "days": 5}, {"id": "q2", "school_urn": "S4", "days": 5, "priority": 2}],
        [{"id": "p1", "school_urn": "S5", "capacity_days": 8, "day_rate": 300.0}],
    )
    plan = solved(sc)
    assert plan["support"] == [{"request": "q2", "provider": "p1"}]  # the higher priority
    assert "none has 5 days left" in plan["unmet_support"][0]["reasons"][0]


def test_rule8_own_school_and_conflict(make, solved):
    sc = _support(
        make(),
        [{"id": "q1", "school_urn": "S5", "days": 2}],
        [{"id": "p1", "school_urn": "S5", "capacity_days": 8}, {"id": "p2", "school_urn": "S6", "capacity_days": 8}],
    )
    sc["conflicts"] = [{"provider": "p2", "school_urn": "S5"}]
    plan = solved(sc)
    assert plan["support"] == [] and plan["unmet_support"][0]["request"] == "q1"


def test_rule8_support_budget(make, solved):
    sc = _support(
        make(support_budget=1000.0),
        [{"id": "q1", "school_urn": "S3", "days": 4}],
        [{"id": "p1", "school_urn": "S5", "capacity_days": 8, "day_rate": 300.0}],
    )
    plan = solved(sc)
    assert plan["support"] == []
    assert "support budget" in plan["unmet_support"][0]["reasons"][0]
    sc["cycle"]["support_budget"] = 1200.0
    assert solved(sc)["support"] == [{"request": "q1", "provider": "p1"}]


def test_rule8_support_conflict(make, solved, team):
    sc = _support(
        make(),
        [{"id": "q1", "school_urn": "S1", "days": 3}],
        [{"id": "p1", "school_urn": "S2", "capacity_days": 8, "day_rate": 300.0}],
    )
    plan = solved(sc)
    assert plan["support"] and "r2" not in team(plan, "S1")
    sc["cycle"]["policy"] = {"support_conflict": "allow"}
    assert "r2" in team(solved(sc), "S1")


# --- rule 9: stability ---------------------------------------------------------------------------


def _previous(team, date="2026-09-10", locked=False, urn="S1"):
    return {
        "school_urn": urn,
        "date": date,
        "locked": locked,
        "team": [{"reviewer": r, "role": "lead" if i == 0 else "member"} for i, r in enumerate(team)],
    }


def test_rule9_locked_visit_kept(make, solved, team, visit):
    sc = make()
    sc["previous"] = [_previous(["r6", "r5", "r4"], locked=True)]
    plan = solved(sc)
    assert team(plan, "S1") == ["r4", "r5", "r6"]
    assert visit(plan, "S1")["date"] == "2026-09-10"
    assert [m for m in visit(plan, "S1")["team"] if m["role"] == "lead"][0]["reviewer"] == "r6"


def test_rule9_unlocked_previous_team_kept_for_its_change_cost(make, solved, team):
    sc = make()
    sc["previous"] = [_previous(["r6", "r5", "r4"])]
    plan = solved(sc)
    assert team(plan, "S1") == ["r4", "r5", "r6"]
    assert plan["changes"] == {"dropped_pairs": 0, "date_changes": 0}
    sc["cycle"]["weights"] = {"change": 1.0, "date_change": 1.0}
    plan = solved(sc)
    assert team(plan, "S1") == ["r2", "r3", "r4"]
    assert plan["changes"]["dropped_pairs"] == 2


def test_rule9_frozen_visit_kept_with_a_warning(make, solved, visit):
    sc = make(freeze_before="2026-09-09")
    sc["previous"] = [_previous(["r6", "r5", "r4"], date="2026-09-08")]
    sc["reviewers"][5]["unavailable"] = ["2026-09-08"]  # r6 has since fallen ill that day
    plan = solved(sc)
    assert visit(plan, "S1")["date"] == "2026-09-08"
    assert any(w["school_urn"] == "S1" and "r6" in w["message"] for w in plan["warnings"])


def test_rule9_no_new_visit_before_freeze(make, solved, visit):
    sc = make(freeze_before="2026-09-10")
    assert visit(solved(sc), "S1")["date"] >= "2026-09-10"


def test_rule9_locked_visit_breaking_a_rule_is_infeasible(make, solved):
    sc = make()
    sc["previous"] = [_previous(["r1", "r2", "r3"], locked=True)]  # r1 is S1's own head
    plan = solved(sc)
    assert plan["status"] == "INFEASIBLE"
    assert any("own school" in w["message"] for w in plan["warnings"])


def test_rule9_frozen_visits_over_budget_are_infeasible(make, solved):
    sc = make(freeze_before="2026-09-10", backfill_budget=500.0)
    sc["previous"] = [_previous(["r6", "r5", "r4"], date="2026-09-08")]
    plan = solved(sc)
    assert plan["status"] == "INFEASIBLE" and plan["objective"] is None
    assert any("budget" in w["message"] for w in plan["warnings"])


# --- causes of changes on re-optimisation -------------------------------------------------------


def test_causes_name_what_the_old_visit_now_breaks(make, solved, visit):
    from solver.causes import cycle_causes, visit_causes

    sc = make()
    sc["previous"] = [_previous(["r2", "r3", "r4"])]
    sc["reviewers"][1]["unavailable"] = ["2026-09-10"]
    plan = solved(sc)
    causes = visit_causes(sc, sc["previous"][0], visit(plan, "S1"))
    assert any("r2 is unavailable on 2026-09-10" in c for c in causes), causes
    sc["reviews"] = []
    assert visit_causes(sc, sc["previous"][0], None) == ["school S1 no longer has a review this cycle"]
    sc["cycle"]["backfill_budget"] = 500.0
    assert cycle_causes(sc) == ["backfill budget is now £500.00; the published plan used £990.00"]
