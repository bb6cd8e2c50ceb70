"""Imports: GIAS establishment extract, Trafford-style CSV, reviewers CSV. A bad file imports nothing."""

import csv
import io
import os

import pytest
from test_cycles_api import assert_error

DATA = os.path.join(os.path.dirname(__file__), "data")
GIAS = os.path.join(DATA, "gias_trafford_sample.csv")
TRAFFORD = os.path.join(
    os.path.dirname(__file__), "..", "..", "service", "data", "trafford_schools_and_colleges_20240926.csv"
)


def upload(api, path, raw: bytes, name="file.csv", query=""):
    return api.post(path + query, data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def gias_rows() -> tuple[list[str], list[dict]]:
    with open(GIAS, encoding="cp1252", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def gias_bytes(header, rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("cp1252")


def test_gias_fixture_is_a_real_extract_layout():
    header, rows = gias_rows()
    columns = [c for c in open(os.path.join(DATA, "edubasealldata20250422-columns.txt")).read().splitlines() if c]
    assert header == columns and len(header) == 140
    assert len(rows) >= 10


def test_gias_import(admin):
    response = upload(admin, "/api/v1/schools/import", open(GIAS, "rb").read(), "edubasealldata.csv")
    assert response.status_code == 200, response.json
    assert response.json == {"created": 12, "updated": 0, "skipped": 0}
    schools = {s["urn"]: s for s in admin.get("/api/v1/schools").json}
    navigation = schools["106283"]
    assert navigation["name"] == "Navigation Primary School" and navigation["phase"] == "primary"
    assert navigation["la_code"] == "358" and navigation["postcode"] == "WA14 1NG"
    # Easting/Northing (British National Grid) back to the lat/lon Trafford published, within ~10 m.
    assert navigation["lat"] == pytest.approx(53.39631, abs=1e-4)
    assert navigation["lon"] == pytest.approx(-2.34818, abs=1e-4)
    phases = {urn: s["phase"] for urn, s in schools.items()}
    assert phases["106304"] == "primary"  # a junior school, 7–11
    assert phases["106167"] == "special"  # phase "Not applicable", a community special school
    assert phases["130519"] == "16-plus"  # the FE college
    assert phases["134469"] == "all-through"  # 2–16
    assert phases["143104"] == "secondary"
    assert schools["143104"]["trust"] == "The Hamblin Education Trust"
    # Importing again updates, not duplicates.
    again = upload(admin, "/api/v1/schools/import", open(GIAS, "rb").read(), query="?format=gias")
    assert again.json == {"created": 0, "updated": 12, "skipped": 0}


def test_gias_import_skips_other_las_and_closed_and_reads_cp1252(admin):
    header, rows = gias_rows()
    rows[0]["EstablishmentName"] = "St Mary\u2019s Navigation Primary School"  # a cp1252 apostrophe
    rows[1]["LA (code)"] = "352"
    rows[2]["EstablishmentStatus (name)"] = "Closed"
    rows[3]["OpenDate"] = "01-09-2015"
    response = upload(admin, "/api/v1/schools/import", gias_bytes(header, rows))
    assert response.status_code == 200, response.json
    assert response.json == {"created": 10, "updated": 0, "skipped": 2}
    assert admin.get(f"/api/v1/schools/{rows[0]['URN']}").json["name"] == "St Mary\u2019s Navigation Primary School"
    assert_error(admin.get(f"/api/v1/schools/{rows[1]['URN']}"), 404)


def test_broken_gias_file_reports_every_bad_row_and_column_and_imports_nothing(admin):
    header, rows = gias_rows()
    rows[0]["Easting"] = "not-a-number"
    rows[2]["PhaseOfEducation (name)"] = "Kindergarten"
    rows[4]["URN"] = "12AB"
    rows[5]["OpenDate"] = "2015-09-01"  # ISO, not the extract's dd-mm-yyyy
    rows[6]["URN"] = rows[7]["URN"]
    body = assert_error(upload(admin, "/api/v1/schools/import", gias_bytes(header, rows)), 422)
    assert set(body["errors"]) == {
        "row 2.Easting",
        "row 4.PhaseOfEducation (name)",
        "row 6.URN",
        "row 7.OpenDate",
        "row 9.URN",
    }, body["errors"]
    assert "nothing was imported" in body["message"]
    assert admin.get("/api/v1/schools").json == []


def test_gias_file_missing_columns(admin):
    header, rows = gias_rows()
    header = [h for h in header if h not in ("Easting", "Northing")]
    for row in rows:
        row.pop("Easting")
        row.pop("Northing")
    body = assert_error(upload(admin, "/api/v1/schools/import", gias_bytes(header, rows)), 422)
    assert set(body["errors"]) == {"columns.Easting", "columns.Northing"}
    assert admin.get("/api/v1/schools").json == []


def test_trafford_csv_import(admin):
    response = upload(admin, "/api/v1/schools/import", open(TRAFFORD, "rb").read())
    assert response.status_code == 200, response.json
    assert response.json == {"created": 103, "updated": 0, "skipped": 0}
    schools = {s["urn"]: s for s in admin.get("/api/v1/schools").json}
    assert schools["106283"]["phase"] == "primary"
    assert schools["106167"]["phase"] == "special"
    assert schools["136239"]["phase"] == "special"  # Fairfield House, 8–25
    assert schools["130519"]["phase"] == "16-plus"
    assert schools["106283"]["lat"] == pytest.approx(53.39631330758996)
    assert sum(s["trust"] == "Bright Futures Educational Trust" for s in schools.values()) == 6


def test_broken_trafford_csv_imports_nothing(admin):
    text = open(TRAFFORD, encoding="utf-8").read().splitlines()
    header = text[0].split(",")
    bad = next(csv.reader([text[5]]))
    bad[header.index("lat")] = "north"
    bad[header.index("highest_admission_age")] = "eleven"
    out = io.StringIO()
    csv.writer(out).writerows([header, next(csv.reader([text[1]])), bad])
    body = assert_error(upload(admin, "/api/v1/schools/import", out.getvalue().encode()), 422)
    assert set(body["errors"]) == {"row 3.lat", "row 3.highest_admission_age"}
    assert admin.get("/api/v1/schools").json == []


def test_unknown_file_layout_and_empty_file(admin):
    body = assert_error(upload(admin, "/api/v1/schools/import", b"a,b\n1,2\n"), 422)
    assert "file" in body["errors"]
    assert_error(upload(admin, "/api/v1/schools/import", b""), 422)
    body = assert_error(admin.post("/api/v1/schools/import", data={}, content_type="multipart/form-data"), 422)
    assert "files.file" in body["errors"]
    body = assert_error(upload(admin, "/api/v1/schools/import", b"x", query="?format=xls"), 422)
    assert "query.format" in body["errors"]


REVIEWERS_CSV = """id,name,school_urn,role,lead_accredited,phases,specialisms,max_reviews,day_rate,unavailable
r-01,Head of Navigation,106283,headteacher,yes,primary,maths;send,2,480,2026-09-14;15/09/2026
r-09,Adviser,,adviser,no,,reading,3,600,
"""


def test_reviewers_csv_import(admin, cycle_id):
    response = upload(admin, "/api/v1/reviewers/import", REVIEWERS_CSV.encode())
    assert response.status_code == 200, response.json
    assert response.json == {"created": 1, "updated": 1, "head_accounts": 0}
    r01 = admin.get("/api/v1/reviewers/r-01").json
    assert r01["name"] == "Head of Navigation" and r01["max_reviews"] == 2 and r01["lead_accredited"] is True
    assert r01["unavailable"] == ["2026-09-14", "2026-09-15"] and r01["specialisms"] == ["maths", "send"]
    adviser = admin.get("/api/v1/reviewers/r-09").json
    assert adviser["school_urn"] is None and adviser["phases"] is None and adviser["day_rate"] == 600


def test_broken_reviewers_csv_imports_nothing(admin, cycle_id):
    bad = REVIEWERS_CSV.replace("106283", "999999").replace(",3,600,", ",-3,lots,").replace("yes,", "maybe,")
    body = assert_error(upload(admin, "/api/v1/reviewers/import", bad.encode()), 422)
    assert set(body["errors"]) == {
        "row 2.school_urn",
        "row 2.lead_accredited",
        "row 3.max_reviews",
        "row 3.day_rate",
    }, body["errors"]
    assert_error(admin.get("/api/v1/reviewers/r-09"), 404)
    assert admin.get("/api/v1/reviewers/r-01").json["name"] == "Head 1"
    body = assert_error(upload(admin, "/api/v1/reviewers/import", b"id,nmae\nr-1,x\n"), 422)
    assert "columns.nmae" in body["errors"]


def test_imports_authorisation(client, head, other_admin, admin, cycle_id):
    for path in ("/api/v1/schools/import", "/api/v1/reviewers/import"):
        assert_error(upload(client, path, b"id\n"), 401)
        assert_error(upload(head, path, b"id\n"), 403)
    # Another LA's upload of Trafford's file creates nothing in Trafford (rows of other LAs are skipped).
    response = upload(other_admin, "/api/v1/schools/import", open(TRAFFORD, "rb").read())
    assert response.json == {"created": 0, "updated": 0, "skipped": 103}
    assert len(admin.get("/api/v1/schools").json) == 6


def test_ragged_rows_are_reported_not_crashed_on(admin):
    text = open(TRAFFORD, encoding="utf-8").read().splitlines()
    short = ",".join(text[2].split(",")[:5])  # a row cut off after five values
    body = assert_error(upload(admin, "/api/v1/schools/import", "\n".join([text[0], text[1], short]).encode()), 422)
    assert "row 3.*" in body["errors"], body["errors"]
    assert admin.get("/api/v1/schools").json == []
    body = assert_error(upload(admin, "/api/v1/reviewers/import", b"id,name\nr-1,A,extra\n"), 422)
    assert body["errors"] == {"row 2.*": ["3 values for 2 columns"]}
