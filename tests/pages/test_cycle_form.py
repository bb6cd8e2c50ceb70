"""The new-cycle form without a browser: it makes the cycle the API makes from the same settings,
and puts the contract's refusals on the form's fields."""

from __future__ import annotations

import re

from pagehelpers import OFFICER_EMAIL, signed_in_client

FORM = {
    "name": "Spring 2027 primary peer review",
    "window-start-day": "4",
    "window-start-month": "1",
    "window-start-year": "2027",
    "window-end-day": "26",
    "window-end-month": "3",
    "window-end-year": "2027",
    "excluded_dates": "15/02/2027\n2027-02-16",
    "notice_days": "10",
    "team_size": "2",
    "visit_days": "1",
    "lead_required": "yes",
    "same_cluster": "allow",
    "same_trust": "forbid",
    "reciprocal": "forbid",
    "phase_match": "prefer",
    "support_conflict": "forbid",
    "no_repeat_cycles": "1",
    "max_travel_km": "25",
    "backfill_budget": "£12,000",
    "support_budget": "4000",
    "reviews": ["106283", "106288"],
    "req-count": "2",
    "req-0-school": "106289",
    "req-0-days": "3",
    "req-0-focus": "maths, send",
    "req-0-priority": "2",
    "prov-count": "1",
    "prov-0-school": "106290",
    "prov-0-capacity": "6",
    "prov-0-rate": "400",
    "prov-0-specialisms": "maths",
    "action": "create",
}


def api(app):
    from service.auth import issue_token
    from service.extensions import db
    from service.pages.signin import find_user

    with app.app_context():
        token = issue_token(find_user(OFFICER_EMAIL))
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path, **kw: getattr(client, method)(path, headers=headers, **kw)


def test_the_form_makes_the_cycle_the_api_makes(app):
    from werkzeug.datastructures import MultiDict

    from service.extensions import db
    from service.models import LocalAuthority
    from service.new_cycle import scenario_from_form

    client, token = signed_in_client(app, OFFICER_EMAIL)
    response = client.post("/cycles/new", data=FORM | {"csrf_token": token})
    assert response.status_code == 302, re.findall(r'<a href="#[^"]+">([^<]*)</a>', response.data.decode())
    page_cycle = int(response.headers["Location"].rsplit("/", 1)[1])
    trail = client.get(f"/audit?action=cycle.created&cycle_id={page_cycle}").data.decode()
    assert "(the new-cycle form)" in trail and OFFICER_EMAIL in trail
    call = api(app)
    by_page = call("get", f"/api/v1/cycles/{page_cycle}/scenario").json
    assert by_page["cycle"]["cluster_budgets"] == {} and by_page["cycle"]["backfill_budget"] == 12000.0
    assert by_page["cycle"]["excluded_dates"] == ["2027-02-15", "2027-02-16"]
    assert by_page["cycle"]["policy"]["phase_match"] == "prefer" and by_page["cycle"]["policy"]["max_travel_km"] == 25.0
    assert [r["school_urn"] for r in by_page["reviews"]] == ["106283", "106288"]
    assert by_page["support"]["requests"] == [
        {"id": "s-01", "school_urn": "106289", "days": 3, "focus": ["maths", "send"], "priority": 2}
    ]
    # The tiny cycle's published plan is this LA's history: its pairs may not repeat within a cycle.
    assert by_page["history"] and {h["cycles_ago"] for h in by_page["history"]} == {1}
    assert call("get", f"/api/v1/cycles/{page_cycle}").json["notice_days"] == 10

    from service.new_cycle import _pool_dates, _restore_pool_dates

    with app.app_context():
        la = db.session.scalar(db.select(LocalAuthority).where(LocalAuthority.code == "358"))
        scenario, _ = scenario_from_form(la, MultiDict(FORM))
        kept = _pool_dates(la)
    # The API takes a scenario as the whole truth: its schools' and reviewers' dates (this
    # window's only) replace the pool's. Put the pool back for the other tests.
    created = call("post", "/api/v1/cycles", json=scenario)
    with app.app_context():
        _restore_pool_dates(kept)
        db.session.commit()
    assert created.status_code == 201, created.json
    by_api = call("get", f"/api/v1/cycles/{created.json['id']}/scenario").json
    assert by_api == by_page


def test_field_errors_are_shown_on_their_fields_with_a_summary(app):
    from service.extensions import db
    from service.models import Cycle

    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Cycle.id)))
    client, token = signed_in_client(app, OFFICER_EMAIL)
    bad = FORM | {
        "csrf_token": token,
        "name": "",
        "window-end-year": "2026",  # ends before it starts
        "team_size": "three",
        "max_travel_km": "-5",
        "prov-0-rate": "-1",
        "excluded_dates": "15/02/2027\n31/02/2027",
        "notice_days": "400",
    }
    response = client.post("/cycles/new", data=bad)
    assert response.status_code == 422
    html = response.data.decode()
    summary = dict(re.findall(r'<li>\s*<a href="#([^"]+)">([^<]*)</a>', html))
    assert set(summary) == {
        "name",
        "window-end-day",
        "team-size",
        "max-travel-km",
        "prov-0-rate",
        "excluded-dates",
        "notice-days",
    }, summary
    assert summary["team-size"] == "Team size: not a valid integer."
    assert summary["window-end-day"] == "End of the window: end is before start"
    # Each message is also on its field, and what was typed is kept.
    assert re.search(r'id="team-size-error"[^>]*>\s*<span class="govuk-visually-hidden">Error:</span> Team size', html)
    assert 'value="three"' in html and "<title>Error: Create a cycle" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Cycle.id))) == before


def test_filters_and_select_all_shown_keep_the_other_choices(app):
    client, token = signed_in_client(app, OFFICER_EMAIL)
    form = {"csrf_token": token, "name": "x", "reviews": ["106283"], "f_cluster": "Sale", "action": "select-shown"}
    html = client.post("/cycles/new", data=form).data.decode()
    # The primary chosen before is kept (hidden, not shown under this filter); the shown ones are now ticked.
    assert '<input type="hidden" name="reviews" value="106283">' in html
    shown = re.findall(r'name="reviews" type="checkbox" value="(\d+)" checked', html)
    listed = re.findall(r'name="reviews" type="checkbox" value="(\d+)"', html)
    assert shown == listed == ["106289", "106290", "106288"]  # Sale's three, by name
    more = client.post(
        "/cycles/new", data={"csrf_token": token, "req-count": "2", "action": "add-request"}
    ).data.decode()
    assert 'id="req-2-school"' in more and 'id="req-3-school"' not in more


def test_a_cycle_made_with_the_form_leaves_the_pools_dates_alone(app):
    """The form's scenario carries only the new window's away days; the pool keeps the others."""
    from service.extensions import db
    from service.models import Reviewer, School

    with app.app_context():
        reviewer = db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == "r-01"))
        school = db.session.scalar(db.select(School).where(School.urn == "106284"))
        before = (list(reviewer.unavailable), list(school.closed_dates))
        reviewer.unavailable = sorted(set(reviewer.unavailable) | {"2026-09-15", "2027-02-02"})
        school.closed_dates = sorted(set(school.closed_dates) | {"2026-09-16", "2027-02-03"})
        db.session.commit()
    try:
        client, token = signed_in_client(app, OFFICER_EMAIL)
        response = client.post("/cycles/new", data=FORM | {"csrf_token": token, "name": "Dates kept"})
        assert response.status_code == 302
        scenario = api(app)(
            "get", response.headers["Location"].replace("/cycles/", "/api/v1/cycles/") + "/scenario"
        ).json
        assert next(r for r in scenario["reviewers"] if r["id"] == "r-01")["unavailable"] == ["2027-02-02"]
        with app.app_context():
            assert "2026-09-15" in db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == "r-01")).unavailable
            assert "2026-09-16" in db.session.scalar(db.select(School).where(School.urn == "106284")).closed_dates
    finally:
        with app.app_context():
            db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == "r-01")).unavailable = before[0]
            db.session.scalar(db.select(School).where(School.urn == "106284")).closed_dates = before[1]
            db.session.commit()
