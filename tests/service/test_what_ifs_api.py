"""What-ifs: suggested by the reasons of unstaffed reviews, solved on a copy of the cycle, compared
with the current version, then adopted (the cycle changes) or discarded (nothing changes)."""

from __future__ import annotations

import time

import pytest
from api_helpers import wait_solve
from tiny_scenarios import tiny


def solve(admin, cycle_id):
    body = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json
    assert wait_solve(admin, body["id"])["status"] == "finished"


@pytest.fixture
def tight(admin):
    """The tiny cycle with a backfill budget for one team only: Well Green (106288) is unstaffed."""
    cycle_id = admin.post("/api/v1/cycles", json=tiny(backfill_budget=900.0)).json["id"]
    solve(admin, cycle_id)
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    assert [u["school_urn"] for u in plan["unstaffed"]] == ["106288"]
    assert "backfill budget" in plan["unstaffed"][0]["reasons"][0]
    return cycle_id


def wait_ready(admin, cycle_id, what_if_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = admin.get(f"/api/v1/cycles/{cycle_id}/what-ifs/{what_if_id}").json
        if body["state"] != "solving":
            return body
        time.sleep(0.1)
    raise AssertionError(f"what-if {what_if_id} still solving")


def try_suggestion(admin, cycle_id, urn="106288"):
    suggestions = admin.get(f"/api/v1/cycles/{cycle_id}/what-ifs/suggestions").json
    first = suggestions["reviews"][urn][0]
    response = admin.post(
        f"/api/v1/cycles/{cycle_id}/what-ifs",
        json={"change": first["change"], "label": first["label"], "school_urn": urn, "time_limit_s": 2},
    )
    assert response.status_code == 202, response.json
    assert response.headers["Location"].endswith(f"/what-ifs/{response.json['id']}")
    return first, wait_ready(admin, cycle_id, response.json["id"])


def test_the_budget_reason_suggests_the_missing_backfill_and_adopting_it_staffs_the_review(admin, tight):
    suggestion, what_if = try_suggestion(admin, tight)
    # The cheapest team for Well Green costs £810 and £30 is left: £780 more.
    assert suggestion["change"] == {"setting": "backfill_budget", "value": 1680.0}
    assert suggestion["label"] == "+£780 backfill (budget £1,680)"
    assert what_if["state"] == "ready"
    comparison = what_if["comparison"]
    assert comparison["current"]["version"] == 1 and comparison["current"]["staffed"] == 1
    assert comparison["draft"]["staffed"] == 2 and comparison["draft"]["unstaffed"] == 0
    assert comparison["answers"] == {"school_urn": "106288", "staffed": True}
    assert [c["school_urn"] for c in comparison["diff"]["changes"] if c["change"] == "added"] == ["106288"]
    # Trying it changed nothing yet.
    assert admin.get(f"/api/v1/cycles/{tight}").json["backfill_budget"] == 900.0
    assert len(admin.get(f"/api/v1/cycles/{tight}/plan/versions").json) == 1
    adopted = admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/adopt")
    assert adopted.status_code == 201, adopted.json
    assert adopted.json["version"] == 2 and adopted.json["what_if"]["state"] == "adopted"
    assert admin.get(f"/api/v1/cycles/{tight}").json["backfill_budget"] == 1680.0
    version = admin.get(f"/api/v1/cycles/{tight}/plan/versions").json[-1]
    assert version["source"] == "what-if" and version["unstaffed"] == 0
    # The version is exactly the draft, and keeps every rule of the cycle as it now is.
    import solver

    plan = admin.get(f"/api/v1/cycles/{tight}/plan?version=2").json
    assert solver.check(admin.get(f"/api/v1/cycles/{tight}/scenario").json, plan) == []
    actions = [e["action"] for e in admin.get(f"/api/v1/audit?cycle_id={tight}").json]
    assert actions[:2] == ["what_if.adopted", "cycle.updated"]
    assert admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/adopt").status_code == 409


def test_discarding_a_what_if_changes_nothing(admin, tight):
    cycle = admin.get(f"/api/v1/cycles/{tight}").json
    scenario = admin.get(f"/api/v1/cycles/{tight}/scenario").json
    versions = admin.get(f"/api/v1/cycles/{tight}/plan/versions").json
    _, what_if = try_suggestion(admin, tight)
    response = admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/discard")
    assert response.status_code == 200 and response.json["state"] == "discarded"
    assert response.json["comparison"] is None
    assert admin.get(f"/api/v1/cycles/{tight}").json == cycle
    assert admin.get(f"/api/v1/cycles/{tight}/scenario").json == scenario
    assert admin.get(f"/api/v1/cycles/{tight}/plan/versions").json == versions
    assert admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/adopt").status_code == 409
    assert admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/discard").status_code == 409


def test_a_what_if_solved_before_the_cycle_changed_is_not_adopted(admin, tight):
    _, what_if = try_suggestion(admin, tight)
    assert admin.patch(f"/api/v1/cycles/{tight}", json={"visit_days": 2}).status_code == 200
    body = admin.post(f"/api/v1/cycles/{tight}/what-ifs/{what_if['id']}/adopt").json
    assert body["code"] == 409 and "changed since" in body["message"]
    assert admin.get(f"/api/v1/cycles/{tight}").json["backfill_budget"] == 900.0  # rolled back


def test_a_travel_limit_reason_suggests_the_limit_that_brings_in_a_team(admin):
    scenario = tiny()
    scenario["cycle"]["policy"]["max_travel_km"] = 1.5
    cycle_id = admin.post("/api/v1/cycles", json=scenario).json["id"]
    solve(admin, cycle_id)
    suggestions = admin.get(f"/api/v1/cycles/{cycle_id}/what-ifs/suggestions").json["reviews"]["106288"]
    travel = [s for s in suggestions if s["change"].get("key") == "max_travel_km"]
    assert len(travel) == 1 and travel[0]["label"] == f"travel limit {travel[0]['change']['value']:.0f} km"
    assert travel[0]["change"]["value"] > 1.5
    what_if = admin.post(
        f"/api/v1/cycles/{cycle_id}/what-ifs",
        json={"change": travel[0]["change"], "school_urn": "106288", "time_limit_s": 2},
    ).json
    done = wait_ready(admin, cycle_id, what_if["id"])
    assert done["comparison"]["answers"]["staffed"] is True
    assert done["label"] == "max travel km: " + str(travel[0]["change"]["value"])


def test_bad_changes_are_named_by_field(admin, cycle_id):
    url = f"/api/v1/cycles/{cycle_id}/what-ifs"
    for change, field in (
        ({"setting": "backfill_budget", "value": -5}, "change.value"),
        ({"setting": "budget", "value": 5}, "change.setting"),
        ({"setting": "policy", "key": "same_cluster", "value": "sometimes"}, "change.value"),
        ({"setting": "cluster_budget", "cluster": "Atlantis", "value": 5}, "change.cluster"),
        ({"setting": "reviewer_max_reviews", "reviewer": "r-99", "value": 2}, "change.reviewer"),
        ({"setting": "review_team_size", "school_urn": "106290", "value": 2}, "change.school_urn"),
    ):
        body = admin.post(url, json={"change": change}).json
        assert body["code"] == 422 and field in body["errors"], (change, body)
    assert admin.get(url).json == []


def test_what_ifs_authorisation(client, head, other_admin, admin, tight):
    _, what_if = try_suggestion(admin, tight)
    base = f"/api/v1/cycles/{tight}/what-ifs"
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert api.get(f"{base}/suggestions").status_code == code
        assert api.get(base).status_code == code
        assert api.post(base, json={"change": {"setting": "backfill_budget", "value": 2000}}).status_code == code
        assert api.get(f"{base}/{what_if['id']}").status_code == code
        assert api.post(f"{base}/{what_if['id']}/adopt").status_code == code
        assert api.post(f"{base}/{what_if['id']}/discard").status_code == code
    assert admin.get(f"{base}/{what_if['id']}").json["state"] == "ready"
