"""A headteacher's own view: GET /me, /me/visits, /me/visits.ics (published plans only)."""

import icalendar
from api_helpers import make_user, wait_solve
from test_cycles_api import assert_error


def test_me(admin, head):
    assert admin.get("/api/v1/me").json == {
        "email": "officer@trafford.example",
        "role": "la_admin",
        "la_code": "358",
        "school_urn": None,
        "school_name": None,
    }
    me = head.get("/api/v1/me").json
    assert me["role"] == "headteacher" and me["school_urn"] == "106283"


def expected_visits(plan, urn, reviewers):
    return sorted(
        (v["school_urn"], v["date"])
        for v in plan["reviews"]
        if v["school_urn"] == urn or any(m["reviewer"] in reviewers for m in v["team"])
    )


def test_my_visits_are_those_of_my_school_and_my_reviewers(app, client, admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    home = {"106283": "r-01", "106284": "r-02", "106285": "r-03", "106288": "r-04", "106289": "r-05", "106290": "r-06"}
    seen_any = False
    for urn, reviewer in home.items():
        api = client.as_(make_user(app, f"head-{urn}@example", "headteacher", "358", urn))
        visits = api.get("/api/v1/me/visits").json
        assert sorted((v["school_urn"], v["date"]) for v in visits) == expected_visits(plan, urn, {reviewer})
        for v in visits:
            assert v["kind"] == ("hosting" if v["school_urn"] == urn else "reviewing")
            assert v["cycle"] == {"id": solved, "name": "Autumn 2026 primary peer review"}
            if v["kind"] == "reviewing":
                assert v["distance_km"] is not None and v["distance_km"] > 0
                assert reviewer in [m["reviewer"] for m in v["team"]]
            assert all(m["name"] for m in v["team"])
        seen_any = seen_any or bool(visits)
    assert seen_any


def test_unpublished_versions_are_not_shown(admin, head, cycle_id):
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 1}).json["id"]
    assert wait_solve(admin, solve_id)["status"] == "finished"
    assert head.get("/api/v1/me/visits").json == []
    cal = icalendar.Calendar.from_ical(head.get("/api/v1/me/visits.ics").data)
    assert cal.walk("VEVENT") == []


def test_my_visits_ics(app, client, admin, solved):
    plan = admin.get(f"/api/v1/cycles/{solved}/plan").json
    urn = plan["reviews"][0]["school_urn"]
    api = client.as_(make_user(app, "ics@example", "headteacher", "358", urn))
    response = api.get("/api/v1/me/visits.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    visits = api.get("/api/v1/me/visits").json
    assert sorted(e.decoded("DTSTART").isoformat() for e in events) == sorted(v["date"] for v in visits)
    assert any(str(e["UID"]) == f"cycle-{solved}-school-{urn}@peer-review" for e in events)


def test_me_authorisation(client, admin):
    for path in ("/api/v1/me", "/api/v1/me/visits", "/api/v1/me/visits.ics"):
        assert_error(client.get(path), 401)
        assert_error(client.get(path, headers={"Authorization": "Basic abc"}), 401)
        assert_error(client.as_("wrong").get(path), 401)
    assert_error(admin.get("/api/v1/me/visits"), 403)
    assert_error(admin.get("/api/v1/me/visits.ics"), 403)


def test_headteacher_of_another_la_sees_nothing_of_ours(app, client, admin, other_admin, solved):
    # LA 800 has its own copy of school 106283 and no published plan.
    from tiny_scenarios import tiny

    assert other_admin.post("/api/v1/cycles", json=tiny()).status_code == 201
    api = client.as_(make_user(app, "head@800.example", "headteacher", "800", "106283"))
    assert api.get("/api/v1/me/visits").json == []
