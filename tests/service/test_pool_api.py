"""The LA's pool: schools, reviewers (and a headteacher's declarations), conflicts, reviews, support."""

from test_cycles_api import assert_error


def test_schools_crud(admin, cycle_id):
    assert len(admin.get("/api/v1/schools").json) == 6
    new = {
        "urn": "106291",
        "name": "Bollin Primary School",
        "phase": "primary",
        "cluster": "Altrincham",
        "lat": 53.3798,
        "lon": -2.3614,
        "closed_dates": ["2026-09-09"],
    }
    response = admin.post("/api/v1/schools", json=new)
    assert response.status_code == 201, response.json
    assert response.json["cluster"] == "Altrincham" and response.json["closed_dates"] == ["2026-09-09"]
    assert_error(admin.post("/api/v1/schools", json=new), 409)
    changed = admin.patch("/api/v1/schools/106291", json={"pupils": 420, "trust": "Bright Futures Educational Trust"})
    assert changed.status_code == 200 and changed.json["pupils"] == 420
    assert changed.json["trust"] == "Bright Futures Educational Trust"
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert {"urn": "106291", "pupils": 420}.items() <= next(
        s for s in scenario["schools"] if s["urn"] == "106291"
    ).items()
    assert admin.delete("/api/v1/schools/106291").status_code == 204
    assert_error(admin.get("/api/v1/schools/106291"), 404)


def test_schools_bad_input(admin):
    body = assert_error(
        admin.post(
            "/api/v1/schools", json={"urn": "12", "phase": "college", "lat": 91, "closed_dates": ["2026-13-01"]}
        ),
        422,
    )
    assert {"urn", "phase", "lat", "closed_dates[0]"} <= set(body["errors"]), body["errors"]
    body = assert_error(admin.post("/api/v1/schools", json={"urn": "123456", "lat": 53.0}), 422)
    assert "lat" in body["errors"]


def test_schools_authorisation(client, admin, other_admin, head):
    for api, code in ((client, 401), (head, 403)):
        assert_error(api.get("/api/v1/schools"), code)
        assert_error(api.post("/api/v1/schools", json={"urn": "123456"}), code)
    for method in ("get", "delete"):
        assert_error(getattr(other_admin, method)("/api/v1/schools/106283"), 404)
    assert_error(other_admin.patch("/api/v1/schools/106283", json={"pupils": 1}), 404)
    assert_error(head.get("/api/v1/schools/106283"), 403)
    assert admin.get("/api/v1/schools/106283").json["name"] == "Navigation Primary School"


def test_reviewers_crud(admin, cycle_id):
    new = {
        "id": "r-07",
        "name": "Adviser",
        "school_urn": None,
        "role": "adviser",
        "lead_accredited": True,
        "specialisms": ["send"],
        "max_reviews": 2,
        "day_rate": 600,
        "unavailable": ["2026-09-08"],
    }
    response = admin.post("/api/v1/reviewers", json=new)
    assert response.status_code == 201, response.json
    assert response.json["school_urn"] is None and response.json["unavailable"] == ["2026-09-08"]
    assert_error(admin.post("/api/v1/reviewers", json=new), 409)
    response = admin.patch("/api/v1/reviewers/r-07", json={"school_urn": "106290", "max_reviews": 1})
    assert response.json["school_urn"] == "106290" and response.json["max_reviews"] == 1
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert next(r for r in scenario["reviewers"] if r["id"] == "r-07")["school_urn"] == "106290"
    assert admin.delete("/api/v1/reviewers/r-07").status_code == 204
    assert_error(admin.get("/api/v1/reviewers/r-07"), 404)


def test_reviewers_bad_input(admin, cycle_id):
    body = assert_error(
        admin.post(
            "/api/v1/reviewers",
            json={
                "id": "r-08",
                "school_urn": "999999",
                "phases": ["college"],
                "specialisms": ["Maths"],
                "max_reviews": -1,
                "day_rate": -1,
            },
        ),
        422,
    )
    assert {"phases[0]", "specialisms[0]", "max_reviews", "day_rate"} <= set(body["errors"]), body["errors"]
    body = assert_error(admin.post("/api/v1/reviewers", json={"id": "r-08", "school_urn": "999999"}), 422)
    assert body["errors"] == {"school_urn": ["unknown school '999999'"]}
    assert_error(admin.get("/api/v1/reviewers/r-08"), 404)


def test_headteacher_declares_own_reviewers_unavailability(head, admin):
    # Navigation Primary's reviewer is r-01; the head sees only that one.
    assert [r["id"] for r in head.get("/api/v1/reviewers").json] == ["r-01"]
    response = head.put("/api/v1/reviewers/r-01/unavailable", json={"dates": ["2026-09-14", "2026-09-15"]})
    assert response.status_code == 200 and response.json["unavailable"] == ["2026-09-14", "2026-09-15"]
    assert admin.get("/api/v1/reviewers/r-01").json["unavailable"] == ["2026-09-14", "2026-09-15"]
    body = assert_error(head.put("/api/v1/reviewers/r-01/unavailable", json={"dates": ["14/09/2026"]}), 422)
    assert "dates[0]" in body["errors"]
    # Another school's reviewer: as if it did not exist.
    assert_error(head.get("/api/v1/reviewers/r-02"), 404)
    assert_error(head.put("/api/v1/reviewers/r-02/unavailable", json={"dates": []}), 404)
    # Nothing else: no editing, adding or deleting reviewers.
    assert_error(head.patch("/api/v1/reviewers/r-01", json={"day_rate": 1}), 403)
    assert_error(head.delete("/api/v1/reviewers/r-01"), 403)
    assert_error(head.post("/api/v1/reviewers", json={"id": "x"}), 403)


def test_reviewers_authorisation(client, other_admin, cycle_id):
    assert_error(client.get("/api/v1/reviewers"), 401)
    assert_error(client.put("/api/v1/reviewers/r-01/unavailable", json={"dates": []}), 401)
    assert other_admin.get("/api/v1/reviewers").json == []
    for method in ("get", "delete"):
        assert_error(getattr(other_admin, method)("/api/v1/reviewers/r-01"), 404)
    assert_error(other_admin.put("/api/v1/reviewers/r-01/unavailable", json={"dates": []}), 404)


def test_conflicts(admin, head, other_head, other_admin, cycle_id):
    listed = admin.get("/api/v1/conflicts").json
    assert [(c["reviewer"], c["school_urn"], c["reason"]) for c in listed] == [("r-06", "106283", "governor")]
    response = head.post("/api/v1/conflicts", json={"reviewer": "r-01", "school_urn": "106288", "reason": "sister"})
    assert response.status_code == 201, response.json
    conflict_id = response.json["id"]
    assert [c["id"] for c in head.get("/api/v1/conflicts").json] == [conflict_id]
    # Declaring it again keeps one row.
    again = head.post("/api/v1/conflicts", json={"reviewer": "r-01", "school_urn": "106288"})
    assert again.status_code == 201 and again.json["id"] == conflict_id
    # r-06 belongs to Oldfield Brow: to Navigation's head it does not exist.
    assert_error(head.post("/api/v1/conflicts", json={"reviewer": "r-06", "school_urn": "106288"}), 404)
    # Oldfield Brow's head sees the LA's "governor" record for r-06 but may not withdraw it.
    governor = listed[0]["id"]
    assert governor in [c["id"] for c in other_head.get("/api/v1/conflicts").json]
    assert_error(other_head.delete(f"/api/v1/conflicts/{governor}"), 403)
    assert_error(other_head.get(f"/api/v1/conflicts/{conflict_id}"), 404)
    assert_error(other_head.delete(f"/api/v1/conflicts/{conflict_id}"), 404)
    assert_error(other_admin.get(f"/api/v1/conflicts/{conflict_id}"), 404)
    body = assert_error(admin.post("/api/v1/conflicts", json={"school_urn": "106288"}), 422)
    assert "reviewer" in body["errors"]
    body = assert_error(admin.post("/api/v1/conflicts", json={"reviewer": "r-02", "school_urn": "1"}), 422)
    assert "school_urn" in body["errors"]
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert {"reviewer": "r-01", "school_urn": "106288", "reason": "sister"} in scenario["conflicts"]
    assert head.delete(f"/api/v1/conflicts/{conflict_id}").status_code == 204
    assert_error(head.get(f"/api/v1/conflicts/{conflict_id}"), 404)


def test_provider_conflict(admin, head, cycle_id):
    response = admin.post("/api/v1/conflicts", json={"provider": "p-01", "cycle_id": cycle_id, "school_urn": "106285"})
    assert response.status_code == 201, response.json
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert {"provider": "p-01", "school_urn": "106285"} in scenario["conflicts"]
    assert_error(
        head.post("/api/v1/conflicts", json={"provider": "p-01", "cycle_id": cycle_id, "school_urn": "106285"}), 403
    )
    body = assert_error(admin.post("/api/v1/conflicts", json={"provider": "p-01", "school_urn": "106285"}), 422)
    assert "cycle_id" in body["errors"]


def test_conflicts_authorisation(client):
    assert_error(client.get("/api/v1/conflicts"), 401)
    assert_error(client.post("/api/v1/conflicts", json={}), 401)


def test_reviews_crud(admin, cycle_id):
    base = f"/api/v1/cycles/{cycle_id}/reviews"
    assert [r["school_urn"] for r in admin.get(base).json] == ["106283", "106288"]
    response = admin.post(
        base, json={"school_urn": "106290", "priority": 3, "focus": ["send"], "earliest": "2026-09-14"}
    )
    assert response.status_code == 201, response.json
    assert_error(admin.post(base, json={"school_urn": "106290"}), 409)
    assert admin.patch(f"{base}/106290", json={"priority": 1}).json["priority"] == 1
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert {"school_urn": "106290", "priority": 1, "focus": ["send"], "earliest": "2026-09-14"} in scenario["reviews"]
    assert admin.delete(f"{base}/106290").status_code == 204
    assert_error(admin.get(f"{base}/106290"), 404)


def test_reviews_bad_input(admin, cycle_id):
    base = f"/api/v1/cycles/{cycle_id}/reviews"
    body = assert_error(admin.post(base, json={"school_urn": "106290", "priority": 0, "focus": ["SEND"]}), 422)
    assert {"priority", "focus[0]"} <= set(body["errors"])
    assert_error(admin.post(base, json={"school_urn": "999999"}), 422)
    # A date outside the cycle's window is refused by the scenario contract.
    body = assert_error(admin.post(base, json={"school_urn": "106290", "latest": "2027-01-01"}), 422)
    assert any("latest" in path for path in body["errors"]), body["errors"]
    assert len(admin.get(base).json) == 2


def test_reviews_authorisation(client, head, other_admin, cycle_id):
    base = f"/api/v1/cycles/{cycle_id}/reviews"
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert_error(api.get(base), code)
        assert_error(api.get(f"{base}/106283"), code)
        assert_error(api.post(base, json={"school_urn": "106290"}), code)


def test_support_crud_and_authorisation(admin, head, other_admin, cycle_id):
    base = f"/api/v1/cycles/{cycle_id}/support"
    assert [r["id"] for r in admin.get(f"{base}/requests").json] == ["s-01"]
    assert [p["id"] for p in admin.get(f"{base}/providers").json] == ["p-01"]
    response = admin.post(f"{base}/requests", json={"id": "s-02", "school_urn": "106290", "days": 2, "focus": ["send"]})
    assert response.status_code == 201, response.json
    response = admin.post(
        f"{base}/providers",
        json={"id": "p-02", "school_urn": "106284", "capacity_days": 5, "day_rate": 350, "specialisms": ["send"]},
    )
    assert response.status_code == 201, response.json
    assert admin.patch(f"{base}/providers/p-02", json={"capacity_days": 3}).json["capacity_days"] == 3
    scenario = admin.get(f"/api/v1/cycles/{cycle_id}/scenario").json
    assert [q["id"] for q in scenario["support"]["requests"]] == ["s-01", "s-02"]
    assert admin.delete(f"{base}/requests/s-02").status_code == 204
    assert_error(admin.get(f"{base}/requests/s-02"), 404)
    body = assert_error(admin.post(f"{base}/requests", json={"id": "s-03", "school_urn": "106290", "days": 0}), 422)
    assert "days" in body["errors"]
    body = assert_error(
        admin.post(f"{base}/providers", json={"id": "p-03", "school_urn": "106290", "day_rate": -1}), 422
    )
    assert "day_rate" in body["errors"]
    for api, code in ((head, 403), (other_admin, 404)):
        assert_error(api.get(f"{base}/requests"), code)
        assert_error(api.get(f"{base}/providers/p-01"), code)
        assert_error(api.post(f"{base}/providers", json={"id": "p-09", "school_urn": "106290"}), code)
