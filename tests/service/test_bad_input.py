"""Issue #9, no 5xx from plain bad input: ids too large for the database, JSON nested without end,
newlines in names that go into iCalendar, `nan` for a time limit, formulas in CSV cells, bodies
too large for their kind of endpoint; and in-process solves bounded, the rest queued."""

from __future__ import annotations

import csv
import io
import json

import icalendar
import pytest
from test_cycles_api import assert_error
from tiny_scenarios import tiny

from service.request_limits import MiB

# --------------------------------------------------------------------------- integers in paths


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "9" * 30])
def test_an_id_too_large_for_the_database_is_not_found(admin, head, cycle_id, number):
    for path in (
        f"/api/v1/cycles/{number}",
        f"/api/v1/cycles/{number}/plan",
        f"/api/v1/cycles/{number}/plan.ics",
        f"/api/v1/cycles/{number}/reviews",
        f"/api/v1/cycles/{number}/support/requests/{number}",
        f"/api/v1/conflicts/{number}",
        f"/api/v1/audit/{number}",
    ):
        assert_error(admin.get(path), 404)
    assert_error(admin.delete(f"/api/v1/cycles/{number}"), 404)
    assert_error(head.delete(f"/api/v1/conflicts/{number}"), 404)
    # The largest id an integer column holds is still an ordinary "not found".
    assert_error(admin.get("/api/v1/cycles/2147483647"), 404)
    assert admin.get(f"/api/v1/cycles/{cycle_id}").status_code == 200


# --------------------------------------------------------------------------- nested JSON


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_json_nested_too_deep_is_refused_before_it_is_parsed(admin, head, cycle_id, depth):
    headers = {"Content-Type": "application/json"}
    for api, method, path in (
        (admin, "post", "/api/v1/cycles"),
        (admin, "patch", f"/api/v1/cycles/{cycle_id}"),
        (admin, "post", f"/api/v1/cycles/{cycle_id}/plan/versions"),
        (admin, "post", f"/api/v1/cycles/{cycle_id}/solves"),
        (head, "post", "/api/v1/conflicts"),
        (head, "put", "/api/v1/reviewers/r-01/unavailable"),
    ):
        body = assert_error(getattr(api, method)(path, data=nested(depth), headers=headers), 400)
        assert f"nests {depth} levels deep; at most 64" in body["message"], (path, body)
    # Brackets inside strings are text, not depth.
    body = {"reviewer": "r-01", "school_urn": "106290", "reason": "[" * 250}
    assert head.post("/api/v1/conflicts", json=body).status_code == 201


# --------------------------------------------------------------------------- iCalendar


def test_newlines_in_school_and_cycle_names_keep_the_calendars_whole(app, admin, head, solved):
    school = "Navigation Primary\r\nBEGIN:VEVENT\nSUMMARY:forged"
    assert admin.patch("/api/v1/schools/106283", json={"name": school}).status_code == 200
    assert admin.patch(f"/api/v1/cycles/{solved}", json={"name": "Autumn\nterm"}).status_code == 200
    for api, path in ((admin, f"/api/v1/cycles/{solved}/plan.ics"), (head, "/api/v1/me/visits.ics")):
        response = api.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        calendar = icalendar.Calendar.from_ical(response.data)
        events = list(calendar.walk("VEVENT"))
        assert events and all(e.get("summary") != "forged" for e in events)
        summaries = [str(e.get("summary")) for e in events]
        if "plan.ics" in path:  # the name, line breaks and all, inside one SUMMARY
            assert any(s.startswith("Peer review: Navigation Primary") and "SUMMARY:forged" in s for s in summaries)
        assert str(calendar.get("x-wr-calname")).count("\n") <= 1
        assert b"\nSUMMARY:forged" not in response.data


# --------------------------------------------------------------------------- time limits


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_a_time_limit_that_is_not_a_finite_number_names_the_field(admin, cycle_id, raw):
    body = assert_error(
        admin.post(
            f"/api/v1/cycles/{cycle_id}/solves",
            data='{"time_limit_s": ' + raw + "}",
            headers={"Content-Type": "application/json"},
        ),
        422,
    )
    assert "time_limit_s" in body["errors"], body
    assert admin.get(f"/api/v1/cycles/{cycle_id}/solves").json == []  # nothing started


def test_start_solve_itself_refuses_nan(app, cycle_id):
    from service.errors import InvalidInput
    from service.extensions import db
    from service.models import Cycle
    from service.solves import start_solve

    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        for bad in (float("nan"), float("inf"), 0.0, -3.0):
            with pytest.raises(InvalidInput) as caught:
                start_solve(cycle, time_limit_s=bad)
            assert "time_limit_s" in caught.value.errors


# --------------------------------------------------------------------------- CSV


def test_csv_cells_that_a_spreadsheet_would_run_are_text(admin, solved):
    assert admin.patch("/api/v1/schools/106283", json={"name": '=HYPERLINK("http://evil.example","x")'}).status_code
    assert admin.patch("/api/v1/reviewers/r-01", json={"name": "@SUM(1+1)"}).status_code == 200
    text = admin.get(f"/api/v1/cycles/{solved}/plan.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells


def test_csv_safe_cells():
    from service.csv_safe import cell

    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert cell(risky) == "'" + risky
    for plain in ("Navigation Primary", "2026-11-03", "", "a=b", 3, None):
        assert cell(plain) == plain


# --------------------------------------------------------------------------- body sizes


def test_a_json_body_over_its_limit_is_413_before_it_is_read(app, admin, head):
    big = json.dumps({"reviewer": "r-01", "school_urn": "106290", "reason": "x" * (5 * MiB)})
    for api, path in ((head, "/api/v1/conflicts"), (admin, "/api/v1/cycles")):
        body = assert_error(api.post(path, data=big, headers={"Content-Type": "application/json"}), 413)
        assert body["message"] == "a request body may be at most 5 MiB"


def test_a_chunked_body_is_cut_at_its_limit(app, admin):
    def chunks():
        yield b'{"reason": "'
        for _ in range(6):
            yield b"x" * MiB
        yield b'"}'

    response = admin.client.post(
        "/api/v1/conflicts",
        input_stream=io.BytesIO(b"".join(chunks())),
        headers={
            "Authorization": f"Bearer {admin.token}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        # What gunicorn says of a chunked body it has de-chunked: the stream ends where the body does.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413)


def test_file_uploads_have_a_larger_limit_of_their_own(app, admin):
    # Over the JSON limit, under the upload limit: read and refused for what it says (one row,
    # a name of 6 MiB), not for its size.
    six = b"URN,EstablishmentName\n100001," + b"x" * (6 * MiB) + b"\n"
    response = admin.post("/api/v1/schools/import", data={"file": (io.BytesIO(six), "schools.csv")})
    assert response.status_code in (200, 201, 422), response.get_data(as_text=True)[:300]
    huge = six * 4  # 24 MiB
    body = assert_error(admin.post("/api/v1/schools/import", data={"file": (io.BytesIO(huge), "schools.csv")}), 413)
    assert body["message"] == "a file upload may be at most 20 MiB"


# --------------------------------------------------------------------------- in-process solves


def test_in_process_solves_run_a_few_at_a_time_and_the_rest_wait(backend, admin, app):
    from service.models import Solve

    if backend["config"]["REDIS_URL"]:
        pytest.skip("in-process solves only (without REDIS_URL)")
    app.config["SOLVE_INPROCESS_CONCURRENCY"] = 1
    from api_helpers import wait_solve

    solves = []
    for i in range(3):
        scenario = tiny()
        scenario["cycle"]["name"] = f"Cycle {i}"
        cycle = admin.post("/api/v1/cycles", json=scenario)
        assert cycle.status_code == 201, cycle.json
        started = admin.post(f"/api/v1/cycles/{cycle.json['id']}/solves", json={"time_limit_s": 2})
        assert started.status_code == 202  # queued, never refused
        solves.append(started.json["id"])
    assert [wait_solve(admin, sid)["status"] for sid in solves] == ["finished"] * 3
    with app.app_context():
        from service.extensions import db

        rows = sorted(db.session.scalars(db.select(Solve).where(Solve.id.in_(solves))), key=lambda s: s.started_at)
        for before, after in zip(rows, rows[1:]):
            assert after.started_at >= before.finished_at, "two in-process solves ran at once"


def test_a_number_too_large_in_a_body_or_query_is_refused_not_a_crash(admin, solved):
    for number in (2**31, 2**63, 10**22):
        body = {"date": "2026-11-03", "team": [{"reviewer": "r-01", "role": "lead"}], "base_version": number}
        response = admin.put(f"/api/v1/cycles/{solved}/plan/visits/106283", json=body)
        assert response.status_code in (404, 422), (number, response.get_data(as_text=True))
        assert_error(response, response.status_code)
        response = admin.get(f"/api/v1/cycles/{solved}/plan", query_string={"version": number})
        assert response.status_code in (404, 422), (number, response.get_data(as_text=True))
