"""The pool pages without a browser: preview writes nothing, confirm writes what was shown, a bad
file is refused row by row, the pages and the API give the same answers, and only the LA's own
officer gets in."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pagehelpers import (
    GIAS_SAMPLE,
    HEAD_EMAIL,
    OFFICER_EMAIL,
    OTHER_LA_EMAIL,
    reviewers_xlsx,
    signed_in_client,
    trafford_csv,
)


def count(app, model):
    from service.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def upload(client, token, kind, raw, name):
    return client.post(
        f"/{kind}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def confirm_path(html: str) -> str:
    return re.search(r'action="(/(?:schools|reviewers)/upload/[^"]+/confirm)"', html).group(1)


def api_token(app, email):
    from service.auth import issue_token
    from service.extensions import db
    from service.pages.signin import find_user

    with app.app_context():
        token = issue_token(find_user(email))
        db.session.commit()
    return token


def schools_as_api_sees_them(app, token):
    body = app.test_client().get("/api/v1/schools", headers={"Authorization": f"Bearer {token}"}).json
    return sorted(body, key=lambda s: s["urn"])


@pytest.fixture
def clean(empty_la):
    """Empty the LA's pool after a test (the module's database is shared)."""
    yield empty_la
    from service.extensions import db
    from service.models import Cluster, Cycle, PoolUpload, Reviewer, School, Trust, User

    with empty_la.app_context():
        db.session.execute(db.delete(User).where(User.role == "headteacher"))
        for model in (Cycle, PoolUpload, Reviewer, School, Cluster, Trust):
            db.session.execute(db.delete(model))
        db.session.commit()


def test_schools_upload_previews_then_writes_only_on_confirmation(clean):
    from service.models import PoolUpload, School

    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    response = upload(client, token, "schools", trafford_csv(), "trafford.csv")
    assert response.status_code == 200, response.data
    html = response.data.decode()
    assert re.search(r"<dt>To add</dt><dd>103</dd>", html)
    assert count(app, School) == 0  # a preview writes nothing
    assert count(app, PoolUpload) == 1
    # Another officer (another LA) cannot confirm it: their 404, and nothing written.
    other, other_token = signed_in_client(app, OTHER_LA_EMAIL)
    refused = other.post(confirm_path(html), data={"csrf_token": other_token})
    assert refused.status_code == 302 and count(app, School) == 0
    done = client.post(confirm_path(html), data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/schools")
    assert count(app, School) == 103 and count(app, PoolUpload) == 0
    assert "103 schools added, 0 updated." in client.get("/schools").data.decode()
    # On the audit trail, by whom and from which file.
    trail = client.get("/audit?action=pool.schools_imported").data.decode()
    assert "imported schools from trafford.csv" in trail and OFFICER_EMAIL in trail
    # The same file again: nothing to add or change; a confirmed upload cannot be replayed.
    again = upload(client, token, "schools", trafford_csv(), "trafford.csv").data.decode()
    assert re.search(r"<dt>To add</dt><dd>0</dd>", again) and re.search(r"<dt>Unchanged</dt><dd>103</dd>", again)
    assert client.post(confirm_path(html), data={"csrf_token": token}).status_code == 302
    assert "has expired or is not yours" in client.get("/schools/upload").data.decode()


def test_a_preview_shows_each_change_and_goes_stale_when_the_pool_moves(clean):
    from service.extensions import db
    from service.models import School

    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    client.post(
        confirm_path(upload(client, token, "schools", trafford_csv(), "t.csv").data.decode()),
        data={"csrf_token": token},
    )
    text = trafford_csv().decode().replace("Navigation Primary School", "Navigation Primary Academy")
    html = upload(client, token, "schools", text.encode(), "t2.csv").data.decode()
    assert re.search(r"<dt>To change</dt><dd>1</dd>", html)
    assert "Navigation Primary School</del>" in html and "Navigation Primary Academy</ins>" in html
    with app.app_context():  # someone else edits the school between preview and confirmation
        db.session.scalar(db.select(School).where(School.urn == "106283")).name = "Renamed meanwhile"
        db.session.commit()
    client.post(confirm_path(html), data={"csrf_token": token})
    assert "the pool has changed since the preview" in client.get("/schools/upload").data.decode()
    with app.app_context():
        assert db.session.scalar(db.select(School.name).where(School.urn == "106283")) == "Renamed meanwhile"


def test_a_bad_file_is_refused_with_rows_and_column_letters_and_writes_nothing(clean):
    from service.models import PoolUpload, School

    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    with open(GIAS_SAMPLE, encoding="cp1252", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    rows[0]["Easting"] = "not-a-number"  # row 2
    rows[4]["URN"] = "12AB"  # row 6
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    response = upload(client, token, "schools", out.getvalue().encode("cp1252"), "edubasealldata.csv")
    assert response.status_code == 422
    html = response.data.decode()
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', html)
    where = {(cells[i], cells[i + 1]) for i in range(0, len(cells), 3)}
    # Easting is the extract's 114th column: DJ as Excel letters it.
    assert where == {("2", "DJ (Easting)"), ("6", "A (URN)")}, cells
    assert header.index("Easting") == 113
    assert 'href="#file"' in html and "There is a problem" in html  # the GOV.UK error summary
    assert count(app, School) == 0 and count(app, PoolUpload) == 0


def test_reviewers_from_an_excel_workbook_and_a_refused_one(clean):
    from service.models import Reviewer

    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    client.post(
        confirm_path(upload(client, token, "schools", trafford_csv(), "t.csv").data.decode()),
        data={"csrf_token": token},
    )
    good = reviewers_xlsx(
        [
            {
                "id": "r-1",
                "name": "Head, Navigation",
                "school_urn": 106283,
                "lead_accredited": True,
                "max_reviews": 2,
                "day_rate": 480,
            },
            {
                "id": "r-2",
                "name": "Adviser",
                "role": "adviser",
                "specialisms": "maths;send",
                "unavailable": "2026-11-03",
            },
        ]
    )
    bad = reviewers_xlsx(
        [{"id": "r-3", "school_urn": "999999"}, {"id": "r-4", "max_reviews": "lots", "phases": "primary;infant"}]
    )
    refused = upload(client, token, "reviewers", bad, "bad.xlsx")
    assert refused.status_code == 422
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', refused.data.decode())
    assert cells == [
        "2",
        "C (school_urn)",
        "unknown school &#39;999999&#39;",
        "3",
        "F (phases)",
        "unknown phase &#39;infant&#39; (one of nursery, primary, middle, secondary, all-through, special, pru, 16-plus)",
        "3",
        "H (max_reviews)",
        "not a whole number: &#39;lots&#39;",
    ], cells
    assert count(app, Reviewer) == 0
    preview = upload(client, token, "reviewers", good, "reviewers.xlsx")
    assert preview.status_code == 200 and re.search(r"<dt>To add</dt><dd>2</dd>", preview.data.decode())
    client.post(confirm_path(preview.data.decode()), data={"csrf_token": token})
    # The same answer as the API reading the same workbook.
    api = api_token(app, OFFICER_EMAIL)
    body = app.test_client().get("/api/v1/reviewers/r-1", headers={"Authorization": f"Bearer {api}"}).json
    assert body["school_urn"] == "106283" and body["lead_accredited"] is True and body["max_reviews"] == 2
    assert app.test_client().get("/api/v1/reviewers/r-2", headers={"Authorization": f"Bearer {api}"}).json[
        "specialisms"
    ] == ["maths", "send"]
    response = app.test_client().post(
        "/api/v1/reviewers/import",
        headers={"Authorization": f"Bearer {api}"},
        data={"file": (io.BytesIO(bad), "bad.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"row 2.school_urn", "row 3.phases", "row 3.max_reviews"}


def head_accounts(app) -> dict[str, tuple[int, str, str | None]]:
    """School URN -> (account id, address, calendar key) of each headteacher account."""
    from service.extensions import db
    from service.models import School, User

    with app.app_context():
        rows = db.session.execute(
            db.select(School.urn, User.id, User.email, User.calendar_key).join(School, User.school_id == School.id)
        )
        return {urn: (uid, email, key) for urn, uid, email, key in rows}


def test_headteachers_accounts_from_the_reviewers_workbook(clean):
    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    client.post(
        confirm_path(upload(client, token, "schools", trafford_csv(), "t.csv").data.decode()),
        data={"csrf_token": token},
    )
    bad = reviewers_xlsx(
        [
            {"id": "r-1", "school_urn": 106283, "email": "not an address"},
            {"id": "r-2", "role": "adviser", "email": "adviser@trafford.example"},
            {"id": "r-3", "school_urn": 106301, "email": OFFICER_EMAIL},
            {"id": "r-4", "school_urn": 106299, "email": "twice@trafford.example"},
            {"id": "r-5", "school_urn": 106300, "email": "twice@trafford.example"},
        ]
    )
    refused = upload(client, token, "reviewers", bad, "bad.xlsx")
    assert refused.status_code == 422
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', refused.data.decode())
    assert cells[0:2] == ["2", "K (email)"] and "right format" in cells[2], cells
    assert cells[3:6] == [
        "3",
        "K (email)",
        "only a headteacher&#39;s address is kept (this reviewer&#39;s role is adviser)",
    ]
    assert cells[6:9] == ["4", "K (email)", f"{OFFICER_EMAIL} is already the address of another account"]
    assert cells[9:] == ["6", "K (email)", "twice@trafford.example is also on row 5"]
    assert head_accounts(app) == {}

    good = reviewers_xlsx([{"id": "r-1", "school_urn": 106283, "email": " Head.Navigation@Trafford.example "}])
    preview = upload(client, token, "reviewers", good, "good.xlsx").data.decode()
    assert "head.navigation@trafford.example" in preview and head_accounts(app) == {}
    client.post(confirm_path(preview), data={"csrf_token": token})
    first = head_accounts(app)
    assert list(first) == ["106283"] and first["106283"][1] == "head.navigation@trafford.example"

    # A new head: the same account takes the new address; the old head's sessions, token and
    # calendar feed URL all end.
    old_head, _ = signed_in_client(app, "head.navigation@trafford.example")
    old_token = api_token(app, "head.navigation@trafford.example")
    assert old_head.get("/school").status_code == 200
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    newer = reviewers_xlsx([{"id": "r-1", "school_urn": 106283, "email": "new.head@trafford.example"}])
    preview = upload(client, token, "reviewers", newer, "newer.xlsx").data.decode()
    assert "Headteacher&#39;s e-mail" in preview and "new.head@trafford.example" in preview
    client.post(confirm_path(preview), data={"csrf_token": token})
    second = head_accounts(app)
    assert second["106283"][0] == first["106283"][0] and second["106283"][1] == "new.head@trafford.example"
    assert second["106283"][2] != first["106283"][2]
    assert old_head.get("/school").status_code == 302  # back to sign-in
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    trail = client.get("/audit?action=pool.head_account").data.decode()
    assert "from head.navigation@trafford.example to new.head@trafford.example" in trail


def test_the_school_page_keeps_the_headteachers_address(clean):
    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    client.post(
        confirm_path(upload(client, token, "schools", trafford_csv(), "t.csv").data.decode()),
        data={"csrf_token": token},
    )
    form = {"csrf_token": token, "name": "Navigation Primary School", "pupils": "-1"}
    bad = client.post("/schools/106283", data=form | {"head_email": "nobody"})
    assert bad.status_code == 422
    html = bad.data.decode()
    # Both wrong fields named at once, each linked from the summary; nothing saved.
    assert 'href="#head-email"' in html and 'href="#pupils"' in html and "right format" in html
    taken = client.post("/schools/106283", data=form | {"pupils": "400", "head_email": OFFICER_EMAIL})
    assert taken.status_code == 422 and "already the address of another account" in taken.data.decode()
    assert head_accounts(app) == {}
    done = client.post("/schools/106283", data=form | {"pupils": "400", "head_email": "head@navigation.example"})
    assert done.status_code == 302
    assert head_accounts(app)["106283"][1] == "head@navigation.example"
    assert 'value="head@navigation.example"' in client.get("/schools/106283").data.decode()


def test_page_upload_and_api_import_store_the_same_schools(clean, tmp_path):
    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    raw = open(GIAS_SAMPLE, "rb").read()
    client.post(
        confirm_path(upload(client, token, "schools", raw, "gias.csv").data.decode()), data={"csrf_token": token}
    )
    api = api_token(app, OFFICER_EMAIL)
    by_page = schools_as_api_sees_them(app, api)
    response = app.test_client().post(
        "/api/v1/schools/import",
        headers={"Authorization": f"Bearer {api}"},
        data={"file": (io.BytesIO(raw), "gias.csv")},
        content_type="multipart/form-data",
    )
    assert response.json == {"created": 0, "updated": 12, "skipped": 0}
    assert schools_as_api_sees_them(app, api) == by_page and len(by_page) == 12


def test_list_filter_cluster_and_edit_with_the_apis_messages(clean):
    app = clean
    client, token = signed_in_client(app, OFFICER_EMAIL)
    client.post(
        confirm_path(upload(client, token, "schools", trafford_csv(), "t.csv").data.decode()),
        data={"csrf_token": token},
    )
    sale = client.get("/schools?q=M33").data.decode()
    urns = re.findall(r'name="urns" type="checkbox" value="(\d+)"', sale)
    assert len(urns) >= 24  # the 24 M33 (Sale) postcodes, and any name with M33 in it
    moved = client.post(
        "/schools/cluster", data={"csrf_token": token, "urns": urns, "cluster": "Sale", "back": "/schools?q=M33"}
    )
    assert moved.headers["Location"] == "/schools?q=M33"
    listed = client.get("/schools?cluster=Sale&phase=primary").data.decode()
    assert 0 < len(re.findall(r'name="urns"', listed)) < 24
    # An edit refused with the API's own message, on its field; nothing saved.
    bad = client.post(
        "/schools/106283", data={"csrf_token": token, "name": "Navigation", "pupils": "-1", "lat": "53.4", "lon": ""}
    )
    assert bad.status_code == 422
    html = bad.data.decode()
    assert 'href="#pupils"' in html and "Must be greater than or equal to 0." in html
    api = api_token(app, OFFICER_EMAIL)
    same = app.test_client().patch(
        "/api/v1/schools/106283", headers={"Authorization": f"Bearer {api}"}, json={"pupils": -1}
    )
    assert same.status_code == 422 and same.json["errors"]["pupils"] == ["Must be greater than or equal to 0."]
    html = client.post("/schools/106283", data={"csrf_token": token, "lat": "53.4", "lon": ""}).data.decode()
    assert 'href="#lat"' in html and "give both lat and lon, or neither" in html
    same = app.test_client().patch(
        "/api/v1/schools/106283", headers={"Authorization": f"Bearer {api}"}, json={"lat": 53.4, "lon": None}
    )
    assert same.status_code == 422 and same.json["errors"]["lat"] == ["give both lat and lon, or neither"]
    good = client.post(
        "/schools/106283",
        data={
            "csrf_token": token,
            "name": "Navigation Primary School",
            "phase": "primary",
            "cluster": "Altrincham",
            "closed_dates": "26/10/2026",
        },
    )
    assert good.status_code == 302
    school = app.test_client().get("/api/v1/schools/106283", headers={"Authorization": f"Bearer {api}"}).json
    assert school["cluster"] == "Altrincham" and school["closed_dates"] == ["2026-10-26"]


@pytest.mark.parametrize(
    "path,method",
    [
        ("/schools", "get"),
        ("/reviewers", "get"),
        ("/schools/upload", "get"),
        ("/schools/upload", "post"),
        ("/reviewers/upload", "post"),
        ("/schools/106283", "get"),
        ("/schools/106283", "post"),
        ("/schools/cluster", "post"),
        ("/reviewers/r-01", "get"),
        ("/schools/template.csv", "get"),
        ("/reviewers/template.xlsx", "get"),
        ("/cycles/new", "get"),
        ("/cycles/new", "post"),
    ],
)
def test_a_headteacher_sees_none_of_the_la_pages(app, path, method):
    client, token = signed_in_client(app, HEAD_EMAIL)
    response = getattr(client, method)(path, data={"csrf_token": token} if method == "post" else None)
    assert response.status_code == 404, (path, response.status_code)


def test_another_las_officer_cannot_see_or_change_our_schools(app):
    client, token = signed_in_client(app, OTHER_LA_EMAIL)
    assert client.get("/schools/106283").status_code == 404
    assert client.post("/schools/106283", data={"csrf_token": token, "name": "x"}).status_code == 404
    assert client.get("/reviewers/r-01").status_code == 404
    assert "106283" not in client.get("/schools").data.decode()
    client.post("/schools/cluster", data={"csrf_token": token, "urns": ["106283"], "cluster": "Mine"})
    officer, _ = signed_in_client(app, OFFICER_EMAIL)
    assert "Mine" not in officer.get("/schools/106283").data.decode()


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/schools")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_templates_download(app):
    from openpyxl import load_workbook

    from service.imports import GIAS_REQUIRED, REVIEWER_COLUMNS

    client, _ = signed_in_client(app, OFFICER_EMAIL)
    gias = client.get("/schools/template.csv")
    assert gias.headers["Content-Disposition"].startswith("attachment")
    assert gias.data.decode("cp1252").splitlines()[0].split(",")[:3] == GIAS_REQUIRED[:3]
    xlsx = client.get("/reviewers/template.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in ws[1]] == REVIEWER_COLUMNS
