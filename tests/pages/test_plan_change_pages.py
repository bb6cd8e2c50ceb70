"""The pages for changing a plan after a solve give the answers the API gives: what-ifs from the
reasons of unstaffed reviews, hand changes refused with the rule or accepted, the mails of a
publication, and the audit trail; only the LA's own officers reach them."""

from __future__ import annotations

import json
import re
import time

import pytest
from pagehelpers import csrf_of, signed_in_client
from plansite import OFFICER, OTHER_LA, build, head_email
from tiny_scenarios import tiny


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan-pages") / "service.sqlite3"
    app, cycle_id = build(path, tiny, MAIL_FOLDER=str(path.parent / "outbox"))
    return app, cycle_id


@pytest.fixture(scope="module")
def officer(site):
    app, _ = site
    return signed_in_client(app, OFFICER)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def wait_what_if(app, what_if_id):
    from service import what_ifs
    from service.extensions import db
    from service.records import WhatIf

    deadline = time.monotonic() + 60
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            state = what_ifs.state(db.session.get(WhatIf, what_if_id))
            if state != "solving":
                return state
            time.sleep(0.1)
    raise AssertionError("the what-if is still solving")


def test_the_unstaffed_page_shows_reasons_and_the_same_suggestions_as_the_api(site, officer):
    app, cycle_id = site
    client, _ = officer
    page = client.get(f"/cycles/{cycle_id}/unstaffed")
    assert page.status_code == 200
    body = text(page)
    assert "Well Green Primary School" in body
    assert "backfill budget: the cheapest eligible team needs £810.00, £30.00 of £900.00 is left" in body
    from service import plans, what_ifs
    from service.extensions import db
    from service.models import Cycle

    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        expected = what_ifs.suggest(cycle, plans.get_version(cycle))["reviews"]["106288"]
    html = page.get_data(as_text=True)
    for s in expected:
        assert f"What if: {s['label']}" in html
    changes = [json.loads(m.replace("&#34;", '"')) for m in re.findall(r'name="change" value="([^"]+)"', html)]
    assert changes == [s["change"] for s in expected]
    # The cycle page links to it.
    assert "Answer the 1 unstaffed review and unmet request of version 1" in text(client.get(f"/cycles/{cycle_id}"))


def test_a_what_if_from_the_page_is_compared_then_discarded_changing_nothing(site, officer):
    app, cycle_id = site
    client, token = officer
    html = client.get(f"/cycles/{cycle_id}/unstaffed").get_data(as_text=True)
    change = re.search(r'name="change" value="([^"]+)"', html).group(1).replace("&#34;", '"')
    response = client.post(
        f"/cycles/{cycle_id}/what-ifs",
        data={"csrf_token": token, "change": change, "label": "budget", "school_urn": "106288", "version": 1},
    )
    assert response.status_code == 302
    what_if_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert wait_what_if(app, what_if_id) == "ready"
    page = text(client.get(f"/cycles/{cycle_id}/what-ifs/{what_if_id}"))
    assert "With this change, the review of Well Green Primary School is staffed." in page
    assert re.search(r"Reviews staffed 1 2", page)
    response = client.post(f"/cycles/{cycle_id}/what-ifs/{what_if_id}/discard", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        from service.extensions import db
        from service.models import Cycle, PlanVersion

        cycle = db.session.get(Cycle, cycle_id)
        assert cycle.backfill_budget == 900.0
        assert db.session.scalar(db.select(db.func.count(PlanVersion.id))) == 1
    assert "Discarded “budget”: nothing about the cycle changed." in text(client.get(f"/cycles/{cycle_id}/unstaffed"))


def test_a_refused_hand_change_names_the_rule_people_and_date_and_saves_nothing(site, officer):
    app, cycle_id = site
    client, token = officer
    page = client.get(f"/cycles/{cycle_id}/visits/change?school_urn=106283&version=1", follow_redirects=True)
    assert page.status_code == 200 and "Change the visit to Navigation Primary School" in text(page)
    response = client.post(
        f"/cycles/{cycle_id}/visits/106283/change",
        data={"csrf_token": token, "version": 1, "action": "swap", "reviewer_out": "r-05", "reviewer_in": "r-01"},
    )
    assert response.status_code == 422
    body = text(response)
    assert re.search(r"The change was refused: it breaks \d+ rules?", body)
    assert "rule 5 (conflicts) : Head 1 (r-01) on" in body and "own school" in body
    assert "Nothing was saved." in body
    # The API refuses the same change with the same problem.
    from service import hand_changes
    from service.errors import InvalidInput
    from service.extensions import db
    from service.models import Cycle, PlanVersion

    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            hand_changes.apply(
                db.session.get(Cycle, cycle_id),
                {"action": "swap", "school_urn": "106283", "reviewer_out": "r-05", "reviewer_in": "r-01"},
            )
        db.session.rollback()
        assert refused.value.extra["problems"][0]["label"] == "rule 5 (conflicts)"
        assert db.session.scalar(db.select(db.func.count(PlanVersion.id))) == 1


def test_an_accepted_hand_change_is_a_version_made_by_hand_pinned_on_the_cycle_page(site, officer):
    app, cycle_id = site
    client, token = officer
    response = client.post(
        f"/cycles/{cycle_id}/visits/106283/change",
        data={"csrf_token": token, "version": 1, "action": "swap", "reviewer_out": "r-04", "reviewer_in": "r-02"},
    )
    assert response.status_code == 302, text(response)
    page = client.get(response.headers["Location"])
    body = text(page)
    assert "Version 2, made by hand: Head 2 (r-02) replaces Head 4 (r-04) on the visit to 106283 by hand." in body
    assert "Navigation Primary School, as in version 2" in body
    # Released from the page: later solves may move it again.
    release = client.post(f"/cycles/{cycle_id}/pins/106283/release", data={"csrf_token": csrf_of(page.data)})
    assert release.status_code == 302
    assert "as in version 2" not in text(client.get(f"/cycles/{cycle_id}"))


def test_publishing_from_the_page_lists_the_mails_and_the_audit_page_shows_it_all(site, officer, tmp_path):
    app, cycle_id = site
    client, token = officer
    response = client.post(f"/cycles/{cycle_id}/publish", data={"csrf_token": token, "version": 2})
    assert response.status_code == 302
    body = text(client.get(response.headers["Location"]))
    assert "Version 2 is published: headteachers see it now; 3 mail(s) to headteachers are on their way." in body
    deadline = time.monotonic() + 30
    while "3 sent" not in body and time.monotonic() < deadline:
        time.sleep(0.1)
        body = text(client.get(f"/cycles/{cycle_id}"))
    assert "Mails to headteachers 3 sent, 0 waiting to be sent, 0 failed." in body
    audit = text(client.get("/audit"))
    for what in ("published version 2", "Head 2 (r-02) replaces Head 4 (r-04)", "signed in (one-time link)"):
        assert what in audit, what
    filtered = text(client.get("/audit?action=plan.published"))
    assert "1 record." in filtered and "published version 2; 3 mail(s)" in filtered


def test_a_failed_mail_is_listed_on_the_cycle_page_and_sent_again_from_it(site, officer):
    app, cycle_id = site
    client, token = officer
    from service.extensions import db
    from service.records import MailMessage

    with app.app_context():
        row = db.session.scalar(db.select(MailMessage).limit(1))
        row.status, row.last_error, row.attempts = "failed", "SMTP 550: mailbox unavailable", 5
        db.session.commit()
    body = text(client.get(f"/cycles/{cycle_id}"))
    assert "Mails not sent yet, or failed" in body and "SMTP 550: mailbox unavailable" in body
    response = client.post(f"/cycles/{cycle_id}/mail/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Sending 1 mail(s) again." in text(client.get(response.headers["Location"]))


def test_only_the_las_own_officers_reach_these_pages(site):
    app, cycle_id = site
    paths = [
        f"/cycles/{cycle_id}/unstaffed",
        f"/cycles/{cycle_id}/visits/106283/change",
        f"/cycles/{cycle_id}/what-ifs/1",
    ]
    for email in (head_email("106288"), OTHER_LA):
        client, token = signed_in_client(app, email)
        for path in paths:
            assert client.get(path).status_code == 404, (email, path)
        assert (
            client.post(
                f"/cycles/{cycle_id}/visits/106283/change", data={"csrf_token": token, "action": "remove"}
            ).status_code
            == 404
        )
        assert client.post(f"/cycles/{cycle_id}/mail/retry", data={"csrf_token": token}).status_code == 404
        audit = client.get("/audit")
        if email == OTHER_LA:
            assert audit.status_code == 200 and "published version" not in text(audit)
        else:
            assert audit.status_code == 404
    assert app.test_client().get("/audit").status_code == 302  # to sign in
