"""Changing a plan by hand: checked with the solver's checker, refused with the rule, the people and
the date; accepted changes are versions made by hand whose visits later solves keep."""

from __future__ import annotations

from api_helpers import wait_solve

import solver

# The tiny cycle's plan: Navigation (106283) visited by r-05 (lead) and r-04; Well Green (106288)
# by r-03 (lead) and r-02. r-01 (Navigation's head) and r-06 are free. The days can tie in cost,
# so the tests read them from the plan.
SCHOOL_DAYS = ["2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-14", "2026-09-15", "2026-09-16"]


def visit(plan, urn):
    return next(v for v in plan["reviews"] if v["school_urn"] == urn)


def other_day(*taken):
    return next(d for d in SCHOOL_DAYS if d not in taken)


def plan_of(admin, cycle_id):
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    teams = {v["school_urn"]: [(m["reviewer"], m["role"]) for m in v["team"]] for v in plan["reviews"]}
    assert teams == {
        "106283": [("r-05", "lead"), ("r-04", "member")],
        "106288": [("r-03", "lead"), ("r-02", "member")],
    }
    return plan


def versions(admin, cycle_id):
    return admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json


def test_a_swap_that_keeps_every_rule_is_a_new_version_made_by_hand(admin, solved):
    before = plan_of(admin, solved)
    response = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes",
        json={"action": "swap", "school_urn": "106288", "reviewer_out": "r-02", "reviewer_in": "r-06"},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["version"]["number"] == 2 and body["version"]["source"] == "edit"
    assert body["pinned"] is True and body["problems_elsewhere"] == []
    plan = admin.get(f"/api/v1/cycles/{solved}/plan?version=2").json
    assert visit(plan, "106288")["team"] == [
        {"reviewer": "r-03", "role": "lead"},
        {"reviewer": "r-06", "role": "member"},
    ]
    assert visit(plan, "106283") == visit(before, "106283")
    assert plan["solver"] == {"edited_by_hand": True} and plan["bound"] is None
    # The objective is the cost formula's for exactly this plan, in the cycle's scenario.
    scenario = admin.get(f"/api/v1/cycles/{solved}/scenario").json
    assert solver.check(scenario, plan) == []
    assert plan["objective"] != before["objective"]
    event = admin.get(f"/api/v1/audit?action=plan.hand_change&cycle_id={solved}").json[0]
    assert event["actor"] == "officer@trafford.example"
    assert event["details"] | {"change": None} == {"base_version": 1, "version": 2, "pinned": True, "change": None}
    assert event["details"]["change"]["reviewer_in"] == "r-06"


def test_a_change_that_breaks_a_rule_is_refused_naming_rule_people_and_date(admin, solved):
    day = visit(plan_of(admin, solved), "106283")["date"]
    response = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes",
        json={"action": "swap", "school_urn": "106283", "reviewer_out": "r-05", "reviewer_in": "r-01"},
    )
    assert response.status_code == 422, response.json
    body = response.json
    problem = body["problems"][0]
    assert problem["rule"] == "conflicts" and problem["label"] == "rule 5 (conflicts)"
    assert problem["who"] == ["r-01"] and problem["people"] == ["Head 1 (r-01)"]
    assert problem["date"] == day and problem["school_urn"] == "106283"
    assert "own school" in problem["message"]
    assert f"rule 5 (conflicts): Head 1 (r-01) on {day}" in body["message"]
    assert len(versions(admin, solved)) == 1  # nothing stored
    # Reciprocity: Navigation's head would visit Well Green while Well Green's head visits Navigation.
    body = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes",
        json={"action": "swap", "school_urn": "106288", "reviewer_out": "r-02", "reviewer_in": "r-01"},
    ).json
    assert [p["rule"] for p in body["problems"]] == ["reciprocity"]
    # A day the reviewer is away: rule 4 with that day.
    away = other_day(day, visit(plan_of(admin, solved), "106288")["date"])
    assert admin.put("/api/v1/reviewers/r-04/unavailable", json={"dates": [away]}).status_code == 200
    body = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes", json={"action": "move", "school_urn": "106283", "date": away}
    ).json
    assert body["code"] == 422
    assert [(p["rule"], p["who"], p["date"]) for p in body["problems"]] == [("availability", ["r-04"], away)]
    assert len(versions(admin, solved)) == 1


def test_bad_input_names_the_field(admin, solved):
    url = f"/api/v1/cycles/{solved}/hand-changes"
    body = admin.post(url, json={"action": "swap", "school_urn": "106283"}).json
    assert body["code"] == 422 and set(body["errors"]) == {"reviewer_out", "reviewer_in"}
    body = admin.post(url, json={"action": "teleport", "school_urn": "106283"}).json
    assert "action" in body["errors"]
    body = admin.post(url, json={"action": "move", "school_urn": "106283", "date": "2026-13-40"}).json
    assert "date" in body["errors"]
    body = admin.post(
        url, json={"action": "swap", "school_urn": "106283", "reviewer_out": "r-09", "reviewer_in": "r-01"}
    ).json
    assert body["code"] == 422 and "reviewer_out" in body["errors"]
    body = admin.post(
        url, json={"action": "swap", "school_urn": "106283", "reviewer_out": "r-04", "reviewer_in": "nobody"}
    ).json
    assert body["code"] == 422 and "reviewer_in" in body["errors"]
    day = visit(plan_of(admin, solved), "106283")["date"]
    body = admin.post(url, json={"action": "move", "school_urn": "106283", "date": day}).json
    assert body["code"] == 422 and "date" in body["errors"]  # already on that date
    assert admin.post(url, json={"action": "remove", "school_urn": "106290"}).status_code == 404  # not reviewed
    assert len(versions(admin, solved)) == 1


def test_a_visit_changed_by_hand_stays_put_in_later_solves_until_released(admin, solved):
    plan = plan_of(admin, solved)
    was, other = visit(plan, "106283")["date"], visit(plan, "106288")["date"]
    day = other_day(was, other)
    moved = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes", json={"action": "move", "school_urn": "106283", "date": day}
    )
    assert moved.status_code == 201, moved.json
    pinned = visit(admin.get(f"/api/v1/cycles/{solved}/plan?version=2").json, "106283")
    previous = admin.get(f"/api/v1/cycles/{solved}/scenario").json["previous"]
    assert [(p["date"], p["locked"]) for p in previous if p["school_urn"] == "106283"] == [(day, True)]
    assert admin.get(f"/api/v1/cycles/{solved}/hand-changes/pins").json == [
        {"school_urn": "106283", "version": 2, "date": day}
    ]
    # A later solve (its objective would rather have the published date back) keeps the visit.
    solve = admin.post(f"/api/v1/cycles/{solved}/solves", json={"time_limit_s": 2}).json
    assert wait_solve(admin, solve["id"])["status"] == "finished"
    resolved = admin.get(f"/api/v1/cycles/{solved}/plan").json
    assert visit(resolved, "106283") == pinned
    # Released, it is the published visit again in the scenario, unlocked.
    assert admin.delete(f"/api/v1/cycles/{solved}/hand-changes/pins/106283").status_code == 204
    previous = admin.get(f"/api/v1/cycles/{solved}/scenario").json["previous"]
    assert [(p["date"], p["locked"]) for p in previous if p["school_urn"] == "106283"] == [(was, False)]
    assert admin.delete(f"/api/v1/cycles/{solved}/hand-changes/pins/106283").status_code == 404


def test_problems_the_plan_had_already_do_not_block_mending_another_visit(admin, solved):
    plan = plan_of(admin, solved)
    navigation, wellgreen = visit(plan, "106283")["date"], visit(plan, "106288")["date"]
    # r-03 (Well Green's lead) is now away on the visit's day: the plan is broken there ...
    assert admin.put("/api/v1/reviewers/r-03/unavailable", json={"dates": [wellgreen]}).status_code == 200
    # ... and moving the other visit is still allowed, saying what remains broken.
    moved_to = other_day(navigation, wellgreen)
    response = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes", json={"action": "move", "school_urn": "106283", "date": moved_to}
    )
    assert response.status_code == 201, response.json
    left = response.json["problems_elsewhere"]
    assert [(p["rule"], p["who"], p["date"]) for p in left] == [("availability", ["r-03"], wellgreen)]
    # Mending the broken visit: Well Green moves to a day r-03 is free (and Navigation is not visited).
    response = admin.post(
        f"/api/v1/cycles/{solved}/hand-changes",
        json={"action": "move", "school_urn": "106288", "date": other_day(wellgreen, moved_to), "base_version": 2},
    )
    assert response.status_code == 201, response.json
    assert response.json["problems_elsewhere"] == []


def test_removing_a_visit_leaves_the_review_unstaffed_with_the_reason(admin, solved):
    response = admin.post(f"/api/v1/cycles/{solved}/hand-changes", json={"action": "remove", "school_urn": "106288"})
    assert response.status_code == 201, response.json
    assert response.json["pinned"] is False
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    assert [u["school_urn"] for u in plan["unstaffed"]] == ["106288"]
    assert plan["unstaffed"][0]["reasons"] == ["removed by hand by officer@trafford.example"]
    assert admin.get(f"/api/v1/cycles/{solved}/hand-changes/pins").json == []


def test_hand_changes_authorisation(client, head, other_admin, cycle_id):
    change = {"action": "remove", "school_urn": "106288"}
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert api.post(f"/api/v1/cycles/{cycle_id}/hand-changes", json=change).status_code == code
        assert api.get(f"/api/v1/cycles/{cycle_id}/hand-changes/pins").status_code == code
        assert api.delete(f"/api/v1/cycles/{cycle_id}/hand-changes/pins/106288").status_code == code


def test_a_hand_change_keeps_only_the_proofs_that_outlive_it():
    # Unit-level: which of the solver's `proven` unstaffed entries still hold once a plan is edited.
    from service.hand_changes import _unprove

    unstaffed = [
        {
            "school_urn": "1",
            "reasons": ["x", "proven: the plan is proven optimal, so no cheaper plan staffs this review"],
            "proven": True,
        },
        {
            "school_urn": "2",
            "reasons": ["proven: no team can keep the rules for this review, whatever the rest"],
            "proven": True,
        },
        {"school_urn": "3", "reasons": ["not proven: none was found in the time"], "proven": False},
        {"school_urn": "4", "reasons": ["removed by hand by someone"]},
    ]
    _unprove(unstaffed)
    assert [u.get("proven") for u in unstaffed] == [False, True, False, None]
    assert unstaffed[0]["reasons"] == ["x", "not proven: the plan was changed by hand after the solver proved it"]
