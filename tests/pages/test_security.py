"""The pages' security without a browser: CSRF, cookie flags, sign-in links, 404s for what is not yours."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pagehelpers import (
    HEAD_EMAIL,
    HEAD_REVIEWER,
    OFFICER_EMAIL,
    OTHER_LA_EMAIL,
    OTHER_REVIEWER,
    csrf_of,
    login_path,
    signed_in_client,
)


def count_conflicts(app):
    from service.extensions import db
    from service.models import Conflict

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Conflict.id)))


# --------------------------------------------------------------------------- CSRF


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app):
    client, token = signed_in_client(app, HEAD_EMAIL)
    before = count_conflicts(app)
    form = {"reviewer": HEAD_REVIEWER, "school_urn": "106290", "reason": "governor"}
    refused = client.post("/school/conflicts", data=form)
    assert refused.status_code == 400
    assert b"The form has expired" in refused.data
    forged = client.post("/school/conflicts", data=form | {"csrf_token": "forged"})
    assert forged.status_code == 400
    assert count_conflicts(app) == before
    # The same form with the session's token goes through (and is withdrawn again).
    assert client.post("/school/conflicts", data=form | {"csrf_token": token}).status_code == 302
    assert count_conflicts(app) == before + 1
    page = client.get("/school").data.decode()
    conflict_id = re.search(r"/school/conflicts/(\d+)/withdraw", page).group(1)
    assert client.post(f"/school/conflicts/{conflict_id}/withdraw", data={"csrf_token": token}).status_code == 302
    assert count_conflicts(app) == before


def test_sign_out_and_sign_in_forms_need_the_token_too(app):
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    assert client.post("/sign-out").status_code == 400
    assert client.get("/cycles").status_code == 200  # still signed in
    assert client.post("/sign-in", data={"email": OFFICER_EMAIL, "password": "x" * 12}).status_code == 400
    path = login_path(app, OFFICER_EMAIL)
    assert app.test_client().post(path).status_code == 400  # a link cannot be redeemed cross-site


def test_the_bearer_token_api_needs_no_csrf_token(app):
    from service.auth import issue_token
    from service.extensions import db
    from service.pages.signin import find_user

    with app.app_context():
        token = issue_token(find_user(HEAD_EMAIL))
        db.session.commit()
    response = app.test_client().post(
        "/api/v1/conflicts",
        headers={"Authorization": f"Bearer {token}"},
        json={"reviewer": HEAD_REVIEWER, "school_urn": "106285"},
    )
    assert response.status_code == 201, response.json
    assert (
        app.test_client()
        .delete(f"/api/v1/conflicts/{response.json['id']}", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 204
    )


# --------------------------------------------------------------------------- cookies


def test_session_cookie_is_httponly_samesite_lax_and_secure_outside_testing(app, monkeypatch):
    from service import create_app

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = create_app({k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "REDIS_URL")})
    assert not production.testing and not production.debug
    client = production.test_client()
    path = login_path(production, HEAD_EMAIL)
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost" + path}}
    response = client.post(path, data={"csrf_token": csrf_of(client.get(path, **https).data)}, **https)
    assert response.status_code == 302, response.data
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure"} <= flags
    assert "SameSite=Lax" in cookie
    # In testing (plain http on localhost) the same cookie is not Secure.
    test_cookie = signed_in_client(app, HEAD_EMAIL)[0].get_cookie("session")
    assert test_cookie.http_only and test_cookie.same_site == "Lax" and not test_cookie.secure


def test_pages_send_security_headers(app):
    response = app.test_client().get("/sign-in")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


# --------------------------------------------------------------------------- sign-in links


def test_a_sign_in_link_works_once_and_a_look_does_not_use_it(app):
    path = login_path(app, HEAD_EMAIL)
    client = app.test_client()
    assert client.get(path).status_code == 200  # a mail scanner's GET
    token = csrf_of(client.get(path).data)
    assert client.post(path, data={"csrf_token": token}).headers["Location"].endswith("/school")
    again = app.test_client()
    page = again.get(path)
    assert page.status_code == 410 and b"already been used or has expired" in page.data
    assert again.post(path, data={"csrf_token": csrf_of(again.get("/sign-in").data)}).status_code == 410
    assert again.get("/school").status_code == 302  # not signed in


def test_an_expired_or_made_up_link_signs_nobody_in(app):
    client = app.test_client()
    assert client.get(login_path(app, HEAD_EMAIL, minutes=-1)).status_code == 410
    assert client.get("/sign-in/not-a-real-token").status_code == 410


def test_the_cli_prints_a_working_link(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "login-link", "--email", HEAD_EMAIL.upper(), "--base-url", "https://peer-review.example"]
    )
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("https://peer-review.example/sign-in/")
    client = app.test_client()
    path = url.removeprefix("https://peer-review.example")
    assert client.post(path, data={"csrf_token": csrf_of(client.get(path).data)}).status_code == 302
    assert client.get("/school").status_code == 200
    assert runner.invoke(args=["users", "login-link", "--email", "nobody@x.example"]).exit_code != 0


def test_password_sign_in_and_no_open_redirect(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "set-password", "--email", OFFICER_EMAIL], input="correct horse battery\ncorrect horse battery\n"
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    token = csrf_of(client.get("/sign-in").data)
    wrong = client.post("/sign-in", data={"csrf_token": token, "email": OFFICER_EMAIL, "password": "wrong" * 3})
    assert wrong.status_code == 401 and b"do not match" in wrong.data
    ok = client.post(
        "/sign-in?next=//evil.example/x",
        data={"csrf_token": token, "email": OFFICER_EMAIL, "password": "correct horse battery"},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/cycles"
    assert client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/cycles").data)}).status_code == 302
    assert client.get("/cycles").status_code == 302  # signed out
    assert short_password_refused(runner)


def short_password_refused(runner) -> bool:
    result = runner.invoke(args=["users", "set-password", "--email", OFFICER_EMAIL], input="short\nshort\n")
    return result.exit_code != 0


def test_signed_out_visitors_are_sent_to_sign_in(app, cycle_id):
    client = app.test_client()
    for path in ("/school", "/cycles", f"/cycles/{cycle_id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]
    assert client.get("/").headers["Location"] == "/sign-in"


# --------------------------------------------------------------------------- nothing that is not yours


def test_a_headteacher_gets_404_on_the_la_pages_and_other_schools_reviewers(app, cycle_id):
    client, token = signed_in_client(app, HEAD_EMAIL)
    for path in (
        "/cycles",
        f"/cycles/{cycle_id}",
        f"/cycles/{cycle_id}?version=1",
        f"/cycles/{cycle_id}/progress.json",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/school/reviewers/{OTHER_REVIEWER}/unavailable",
        f"/cycles/{cycle_id}/publish",
        f"/cycles/{cycle_id}/solves",
    ):
        response = client.post(path, data={"csrf_token": token, "first": "2026-09-09", "version": "1"})
        assert response.status_code == 404, path
    assert (
        client.post(
            f"/school/reviewers/{OTHER_REVIEWER}/unavailable/2026-09-09/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )
    refused = client.post(
        "/school/conflicts", data={"csrf_token": token, "reviewer": OTHER_REVIEWER, "school_urn": "106283"}
    )
    assert refused.status_code == 404
    # Another school's conflict cannot be withdrawn either.
    from service.extensions import db
    from service.models import Conflict

    with app.app_context():
        theirs = db.session.scalar(db.select(Conflict.id).limit(1))  # r-06's (governor at 106283)
    assert client.post(f"/school/conflicts/{theirs}/withdraw", data={"csrf_token": token}).status_code == 404
    page = client.get("/school").data.decode()
    assert "Head 6" not in page  # the other school's reviewer


def test_an_officer_of_another_la_sees_no_cycle_of_ours(app, cycle_id):
    client, token = signed_in_client(app, OTHER_LA_EMAIL)
    assert client.get("/cycles").status_code == 200
    assert "Autumn 2026" not in client.get("/cycles").data.decode()
    assert client.get(f"/cycles/{cycle_id}").status_code == 404
    assert client.post(f"/cycles/{cycle_id}/publish", data={"csrf_token": token, "version": "2"}).status_code == 404
    assert (
        client.post(f"/cycles/{cycle_id}/visits/106283/lock", data={"csrf_token": token, "locked": "1"}).status_code
        == 404
    )
    assert client.get("/school").status_code == 404


def test_calendar_feed_is_the_headteachers_own_and_can_be_reset(app):
    client, token = signed_in_client(app, HEAD_EMAIL)
    page = client.get("/school").data.decode()
    feed = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page).group(1)
    path = feed.split("://", 1)[1].split("/", 1)[1]
    response = app.test_client().get("/" + path)  # no session: a calendar app
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data.decode()
    assert "BEGIN:VEVENT" in body and "Navigation Primary School" in body
    assert app.test_client().get("/calendar/" + path.split("/")[-1][:-8] + "x.ics").status_code == 404
    assert client.post("/school/calendar/reset", data={"csrf_token": token}).status_code == 302
    assert app.test_client().get("/" + path).status_code == 404
    assert "not-a-token" and app.test_client().get("/calendar/not-a-token.ics").status_code == 404


def test_unavailability_is_checked_and_only_weekdays_are_added(app):
    client, token = signed_in_client(app, HEAD_EMAIL)
    bad = client.post(
        f"/school/reviewers/{HEAD_REVIEWER}/unavailable",
        data={"csrf_token": token, "first": "09/10/2026"},
        follow_redirects=True,
    )
    assert b"give dates as YYYY-MM-DD" in bad.data
    # Friday 2 to Monday 5 October 2026: the weekend is not a school day.
    client.post(
        f"/school/reviewers/{HEAD_REVIEWER}/unavailable",
        data={"csrf_token": token, "first": "2026-10-02", "last": "2026-10-05"},
    )
    from service.extensions import db
    from service.models import Reviewer

    with app.app_context():
        dates = db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == HEAD_REVIEWER)).unavailable
    assert "2026-10-02" in dates and "2026-10-05" in dates and "2026-10-03" not in dates
    for d in ("2026-10-02", "2026-10-05"):
        client.post(f"/school/reviewers/{HEAD_REVIEWER}/unavailable/{d}/remove", data={"csrf_token": token})
    with app.app_context():
        assert not db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == HEAD_REVIEWER)).unavailable


@pytest.mark.parametrize("role_email", [HEAD_EMAIL, OFFICER_EMAIL])
def test_home_redirects_by_role(app, role_email):
    client, _ = signed_in_client(app, role_email)
    assert client.get("/").headers["Location"] == ("/school" if role_email == HEAD_EMAIL else "/cycles")


def test_the_date_filter_reads_like_a_letter():
    from service.pages.views import longdate

    assert longdate("2027-01-12") == "Tuesday 12 January 2027"
    assert longdate(dt.date(2026, 9, 8)) == "Tuesday 8 September 2026"


def test_progress_json_reports_the_cycles_last_solve_to_its_officer(app, cycle_id):
    client, _ = signed_in_client(app, OFFICER_EMAIL)
    body = client.get(f"/cycles/{cycle_id}/progress.json").json
    assert body["status"] in ("finished", "cancelled", "queued", "running")
    assert {"objective", "bound", "elapsed_s", "time_limit_s"} <= set(body)
    script = client.get("/static/progress.js")
    assert script.status_code == 200 and "progress.json" not in script.data.decode()  # the URL comes from the page


def test_a_proposal_shows_the_causes_stored_with_it_while_they_still_apply(app, cycle_id):
    from service import plans
    from service.extensions import db
    from service.models import Cycle

    client, _ = signed_in_client(app, OFFICER_EMAIL)
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        v2 = plans.get_version(cycle, 2)
        stored = plans.diff(cycle.published_version.plan, v2.plan)
        for change in stored["changes"]:
            change["causes"] = ["written the night it was proposed"]
        v2.diff = stored
        db.session.commit()
    try:
        page = client.get(f"/cycles/{cycle_id}?version=2").data.decode()
        assert "written the night it was proposed" in page
        assert "The causes are those found when this version was proposed." in page
    finally:
        with app.app_context():
            plans.get_version(db.session.get(Cycle, cycle_id), 2).diff = None
            db.session.commit()
    page = client.get(f"/cycles/{cycle_id}?version=2").data.decode()
    assert "written the night it was proposed" not in page and "is unavailable on" in page
