"""Plans: read, versions, publish, diff, CSV and iCalendar exports, locks, edits by hand."""

import csv
import io

import icalendar
from api_helpers import wait_solve
from test_cycles_api import assert_error

import solver


def test_plan_is_404_before_any_solve(admin, cycle_id):
    body = assert_error(admin.get(f"/api/v1/cycles/{cycle_id}/plan"), 404)
    assert "no plan" in body["message"]


def test_plan_latest_and_by_version(admin, solved):
    second = admin.post(f"/api/v1/cycles/{solved}/solves", json={"time_limit_s": 1}).json["id"]
    assert wait_solve(admin, second)["plan_version"] == 2
    latest = admin.get(f"/api/v1/cycles/{solved}/plan")
    assert latest.status_code == 200 and latest.headers["X-Plan-Version"] == "2"
    first = admin.get(f"/api/v1/cycles/{solved}/plan?version=1")
    assert first.headers["X-Plan-Version"] == "1"
    assert first.json["version"] == 1
    assert_error(admin.get(f"/api/v1/cycles/{solved}/plan?version=9"), 404)
    body = assert_error(admin.get(f"/api/v1/cycles/{solved}/plan?version=zero"), 422)
    assert "query.version" in body["errors"]
    versions = admin.get(f"/api/v1/cycles/{solved}/plan/versions").json
    assert [(v["number"], v["published"], v["source"]) for v in versions] == [(1, True, "solve"), (2, False, "solve")]


def test_publish(admin, solved, head):
    assert admin.get(f"/api/v1/cycles/{solved}").json["published_version"] == 1
    body = assert_error(admin.post(f"/api/v1/cycles/{solved}/plan/publish", json={}), 422)
    assert "version" in body["errors"]
    body = assert_error(admin.post(f"/api/v1/cycles/{solved}/plan/publish", json={"version": "two"}), 422)
    assert "version" in body["errors"]
    assert_error(admin.post(f"/api/v1/cycles/{solved}/plan/publish", json={"version": 5}), 404)
    assert admin.get(f"/api/v1/cycles/{solved}").json["published_version"] == 1


def test_published_plan_becomes_previous(admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    scenario = admin.get(f"/api/v1/cycles/{solved}/scenario").json
    assert [(p["school_urn"], p["date"], p["team"]) for p in scenario["previous"]] == [
        (v["school_urn"], v["date"], v["team"]) for v in plan["reviews"]
    ]
    assert all(p["locked"] is False for p in scenario["previous"])


def test_diff_between_versions(admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    visit = plan["reviews"][0]
    # Unstaff one visit by hand: version 2 differs from version 1 by exactly that.
    assert admin.delete(f"/api/v1/cycles/{solved}/plan/visits/{visit['school_urn']}").status_code == 201
    diff = admin.get(f"/api/v1/cycles/{solved}/plan/diff").json
    assert diff["from"] == 1 and diff["to"] == 2
    assert diff["changes"] == [
        {
            "school_urn": visit["school_urn"],
            "change": "removed",
            "date_before": visit["date"],
            "date_after": None,
            "joined": [],
            "left": sorted(m["reviewer"] for m in visit["team"]),
            "role_changed": [],
        }
    ]
    assert diff["counts"]["removed"] == 1
    same = admin.get(f"/api/v1/cycles/{solved}/plan/diff?from=1&to=1").json
    assert same["changes"] == []
    body = assert_error(admin.get(f"/api/v1/cycles/{solved}/plan/diff?from=x"), 422)
    assert "query.from" in body["errors"]


def test_plan_csv(admin, solved):
    response = admin.get(f"/api/v1/cycles/{solved}/plan.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    staffed = [r for r in rows if r["status"] == "staffed"]
    assert len(staffed) == sum(len(v["team"]) for v in plan["reviews"])
    first = plan["reviews"][0]
    row = next(r for r in staffed if r["school_urn"] == first["school_urn"])
    assert row["date"] == first["date"] and row["school_name"]
    assert row["reviewer_name"].startswith("Head ")


def test_plan_ics(admin, solved):
    response = admin.get(f"/api/v1/cycles/{solved}/plan.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = list(cal.walk("VEVENT"))
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    assert len(events) == len(plan["reviews"])
    by_uid = {str(e["UID"]): e for e in events}
    visit = plan["reviews"][0]
    event = by_uid[f"cycle-{solved}-school-{visit['school_urn']}@peer-review"]
    assert event.decoded("DTSTART").isoformat() == visit["date"]
    assert "Peer review:" in str(event["SUMMARY"])
    assert int(event["SEQUENCE"]) == 1


def test_lock_and_unlock(admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    urn = plan["reviews"][0]["school_urn"]
    response = admin.post(f"/api/v1/cycles/{solved}/plan/visits/{urn}/lock")
    assert response.status_code == 200 and response.json == {"school_urn": urn, "locked": True}
    previous = admin.get(f"/api/v1/cycles/{solved}/scenario").json["previous"]
    assert [p["locked"] for p in previous if p["school_urn"] == urn] == [True]
    # A locked visit survives the next solve unchanged.
    solve_id = admin.post(f"/api/v1/cycles/{solved}/solves", json={"time_limit_s": 1}).json["id"]
    assert wait_solve(admin, solve_id)["status"] == "finished"
    new = admin.get(f"/api/v1/cycles/{solved}/plan").json
    assert [v for v in new["reviews"] if v["school_urn"] == urn] == [plan["reviews"][0]]
    # Editing a locked visit breaks rule 9.
    body = assert_error(admin.delete(f"/api/v1/cycles/{solved}/plan/visits/{urn}"), 422)
    assert "rule 9" in body["message"]
    assert admin.delete(f"/api/v1/cycles/{solved}/plan/visits/{urn}/lock").json["locked"] is False
    assert_error(admin.post(f"/api/v1/cycles/{solved}/plan/visits/999999/lock"), 404)


def test_lock_needs_a_published_visit(admin, cycle_id):
    assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/plan/visits/106283/lock"), 409)


def test_edit_visit_by_hand(admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    visit = plan["reviews"][0]
    urn = visit["school_urn"]
    used = {m["reviewer"] for v in plan["reviews"] for m in v["team"]}
    # Move the visit to another free school day with the same team: valid.
    new_date = "2026-09-16" if visit["date"] != "2026-09-16" else "2026-09-17"
    response = admin.put(
        f"/api/v1/cycles/{solved}/plan/visits/{urn}",
        json={"date": new_date, "team": visit["team"], "note": "head asked to move it"},
    )
    assert response.status_code == 201, response.json
    assert response.json["number"] == 2 and response.json["source"] == "edit"
    edited = admin.get(f"/api/v1/cycles/{solved}/plan?version=2").json
    assert [v["date"] for v in edited["reviews"] if v["school_urn"] == urn] == [new_date]
    scenario = admin.get(f"/api/v1/cycles/{solved}/scenario").json
    assert solver.check(scenario, edited) == []
    # A reviewer visiting their own school breaks rule 5; the message names the rule.
    home = {"106283": "r-01", "106288": "r-04"}[urn]
    team = [{"reviewer": home, "role": "lead" if home == "r-01" else "member"}] + [
        m for m in visit["team"] if m["reviewer"] != home
    ][:1]
    team = [dict(m, role="lead" if i == 0 else "member") for i, m in enumerate(team)]
    body = assert_error(
        admin.put(f"/api/v1/cycles/{solved}/plan/visits/{urn}", json={"date": visit["date"], "team": team}), 422
    )
    assert "rule" in body["message"]
    assert any("rule" in m for msgs in body["errors"].values() for m in msgs)
    assert len(admin.get(f"/api/v1/cycles/{solved}/plan/versions").json) == 2
    # Bad input is named by path.
    body = assert_error(
        admin.put(
            f"/api/v1/cycles/{solved}/plan/visits/{urn}",
            json={"date": "someday", "team": [{"reviewer": "r-02", "role": "boss"}]},
        ),
        422,
    )
    assert "date" in body["errors"] and "team[0].role" in body["errors"]
    assert_error(
        admin.put(f"/api/v1/cycles/{solved}/plan/visits/106290", json={"date": new_date, "team": visit["team"]}), 404
    )
    assert used  # the plan had visits to edit


def test_plans_authorisation(client, admin, other_admin, head, solved):
    urn = admin.get(f"/api/v1/cycles/{solved}/plan").json["reviews"][0]["school_urn"]
    reads = ["/plan", "/plan/versions", "/plan/diff", "/plan.csv", "/plan.ics"]
    for path in reads:
        for api, code in ((client, 401), (head, 403), (other_admin, 404)):
            assert_error(api.get(f"/api/v1/cycles/{solved}{path}"), code)
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert_error(api.post(f"/api/v1/cycles/{solved}/plan/publish", json={"version": 1}), code)
        assert_error(api.post(f"/api/v1/cycles/{solved}/plan/visits/{urn}/lock"), code)
        assert_error(api.delete(f"/api/v1/cycles/{solved}/plan/visits/{urn}"), code)
        assert_error(
            api.put(
                f"/api/v1/cycles/{solved}/plan/visits/{urn}",
                json={"date": "2026-09-08", "team": [{"reviewer": "r-02", "role": "lead"}]},
            ),
            code,
        )


def test_scenario_solved_by_the_solver_cli_is_accepted_back(admin, cycle_id, tmp_path):
    """GET scenario -> `python -m solver solve` -> POST the plan: the service takes it as a version."""
    import json
    import os
    import subprocess
    import sys

    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "solver",
            "solve",
            str(tmp_path / "scenario.json"),
            "--out",
            str(tmp_path / "plan.json"),
            "--time-limit",
            "2",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    response = admin.post(f"/api/v1/cycles/{cycle_id}/plan/versions", json=plan)
    assert response.status_code == 201, response.json
    assert response.json["number"] == 1 and response.json["source"] == "upload"
    assert admin.get(f"/api/v1/cycles/{cycle_id}/plan").json == plan
    # A plan that breaks a rule is refused with the rule named, and nothing is stored.
    broken = json.loads(json.dumps(plan))
    visit = broken["reviews"][0]
    visit["team"] = visit["team"] + [dict(visit["team"][0])]
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/plan/versions", json=broken), 422)
    assert any("rule 2 (team)" in m for m in body["errors"]["reviews[0]"]), body["errors"]
    assert "rule 2" in body["message"]
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/plan/versions", json=["no"]), 422)
    assert len(admin.get(f"/api/v1/cycles/{cycle_id}/plan/versions").json) == 1


def test_locked_visit_that_can_no_longer_happen_gives_an_infeasible_plan_that_cannot_be_published(
    app, client, admin, solved
):
    from api_helpers import make_user

    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    visit = plan["reviews"][0]
    assert admin.post(f"/api/v1/cycles/{solved}/plan/visits/{visit['school_urn']}/lock").status_code == 200
    # The lead's headteacher declares them away on the day of the locked visit.
    lead = next(m["reviewer"] for m in visit["team"] if m["role"] == "lead")
    home = admin.get(f"/api/v1/reviewers/{lead}").json["school_urn"]
    head = client.as_(make_user(app, "away@example", "headteacher", "358", home))
    assert head.put(f"/api/v1/reviewers/{lead}/unavailable", json={"dates": [visit["date"]]}).status_code == 200
    solve_id = admin.post(f"/api/v1/cycles/{solved}/solves", json={"time_limit_s": 1}).json["id"]
    assert wait_solve(admin, solve_id)["status"] == "finished"
    assert admin.get(f"/api/v1/cycles/{solved}/plan?version=2").json["status"] == "INFEASIBLE"
    body = assert_error(admin.post(f"/api/v1/cycles/{solved}/plan/publish", json={"version": 2}), 422)
    assert "INFEASIBLE" in body["message"] and "version" in body["errors"]
    assert admin.get(f"/api/v1/cycles/{solved}").json["published_version"] == 1
