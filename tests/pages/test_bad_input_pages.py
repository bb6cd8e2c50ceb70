"""Issue #9 on the pages: a time limit that is not a number names the field (no "already
running"), ids too large for the database are pages that do not exist, an upload too large
is a page saying so."""

from __future__ import annotations

import io

import pytest
from pagehelpers import OFFICER_EMAIL, signed_in_client


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "1e999", "soon"])
def test_the_solve_form_names_the_time_limit_when_it_is_not_a_number(app, cycle_id, raw):
    from service.extensions import db
    from service.models import Solve

    client, token = signed_in_client(app, OFFICER_EMAIL)
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Solve.id)))
    response = client.post(f"/cycles/{cycle_id}/solves", data={"csrf_token": token, "time_limit_s": raw})
    assert response.status_code == 422
    page = response.data.decode()
    assert "Time limit (seconds)" in page and "already" not in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Solve.id))) == before


def test_ids_too_large_for_the_database_are_pages_that_do_not_exist(app):
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    for path in ("/cycles/99999999999999999999", "/cycles/2147483648/progress.json", "/cycles/2147483648/audit"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)


def test_an_upload_over_the_limit_is_a_page_that_says_so(app):
    client, token = signed_in_client(app, OFFICER_EMAIL)
    huge = io.BytesIO(b"URN,EstablishmentName\n" + b"1,x\n" * (21 * 1024 * 1024 // 4))
    response = client.post("/schools/upload", data={"csrf_token": token, "file": (huge, "gias.csv")})
    assert response.status_code == 413
    page = response.data.decode()
    assert "A file upload may be at most 20 MiB." in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
