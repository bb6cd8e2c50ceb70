"""Helpers and names shared by the page tests."""

from __future__ import annotations

import os
import re

# The tiny cycle's published plan (deterministic): Well Green (106288) is visited by r-03 and
# r-02; Well Green's own head, r-04, visits Navigation (106283) with r-05.
HEAD_URN, HEAD_EMAIL, HEAD_REVIEWER = "106288", "head@wellgreen.example", "r-04"
OTHER_URN, OTHER_EMAIL, OTHER_REVIEWER = "106290", "head@oldfield.example", "r-06"  # Oldfield Brow
OFFICER_EMAIL = "officer@trafford.example"
OTHER_LA_EMAIL = "officer@banes.example"


def login_path(app, email, minutes=15) -> str:
    """A fresh one-time sign-in path for `email` (what `users login-link` prints, without the host)."""
    from service.extensions import db
    from service.pages.signin import find_user, issue_login_link

    with app.app_context():
        token = issue_login_link(find_user(email), minutes)
        db.session.commit()
    return f"/sign-in/{token}"


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    return CSRF_INPUT.search(text).group(1)


def signed_in_client(app, email):
    """A Flask test client signed in through a one-time link, and the CSRF token of its session."""
    client = app.test_client()
    path = login_path(app, email)
    token = csrf_of(client.get(path).data)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302, response.data
    return client, csrf_of(client.get(response.headers["Location"]).data)


HERE = os.path.dirname(os.path.abspath(__file__))
TRAFFORD_CSV = os.path.join(
    HERE, "..", "..", "..", "shared", "data", "gias", "trafford_schools_and_colleges_20240926.csv"
)
GIAS_SAMPLE = os.path.join(HERE, "..", "service", "data", "gias_trafford_sample.csv")


def trafford_csv() -> bytes:
    """The real Trafford extract from ../shared/data/gias (the copy in service/data when shared/ is not beside the repo)."""
    path = TRAFFORD_CSV
    if not os.path.exists(path):
        path = os.path.join(os.path.dirname(__file__), "..", "..", "service", "data", os.path.basename(TRAFFORD_CSV))
    with open(path, "rb") as fh:
        return fh.read()


def reviewers_xlsx(rows: list[dict]) -> bytes:
    """A reviewers workbook made as an officer would in Excel: the template's columns, real cell types."""
    import io

    from openpyxl import Workbook

    from service.imports import REVIEWER_COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.append(REVIEWER_COLUMNS)
    for row in rows:
        ws.append([row.get(c) for c in REVIEWER_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
