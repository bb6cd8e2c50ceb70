"""An officer in a real browser, from a solved cycle with an unstaffed review to a publication
received by a real SMTP server: the unstaffed review is answered through a what-if, one change by
hand is refused (the rule named) and one accepted, the plan is published, and every affected
headteacher gets one mail with a valid .ics. axe-core checks every page loaded (the harness of
`browser.py`).
"""

from __future__ import annotations

import os
import re
import sys

import icalendar
import pytest
from browser import axe_page, chromium, serve
from pagehelpers import login_path
from plansite import OFFICER, SCHOOLS, build, head_email
from playwright.sync_api import expect
from tiny_scenarios import tiny

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "service"))
from mailhelpers import SMTPSink  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sink = SMTPSink().start()
    path = tmp_path_factory.mktemp("plan-browser") / "service.sqlite3"
    app, cycle_id = build(path, tiny, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    try:
        yield app, cycle_id, sink
    finally:
        sink.stop()


def test_an_officer_answers_an_unstaffed_review_changes_a_visit_by_hand_and_publishes(site):
    app, cycle_id, sink = site
    with chromium() as browser, serve(app) as server, axe_page(browser) as page:
        page.goto(server + login_path(app, OFFICER))
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server}/cycles/{cycle_id}")

        # 1. The unstaffed review, its reason, and the what-if the reason suggests.
        page.get_by_role("link", name=re.compile(r"Answer the 1 unstaffed review")).click()
        card = page.get_by_role("article", name="Well Green Primary School")
        assert "backfill budget: the cheapest eligible team needs £810.00" in card.inner_text()
        card.get_by_role("button", name=re.compile(r"What if: \+£780 backfill")).click()
        assert page.get_by_role("heading", level=1).inner_text() == "+£780 backfill (budget £1,680)"
        # The page follows the solve and shows the draft beside version 1 once it ends.
        page.locator("#comparison").wait_for(timeout=60_000)
        assert "is staffed" in page.locator("#answer").inner_text()
        staffed = page.locator("#comparison tr", has_text="Reviews staffed").inner_text().split()
        assert staffed[-2:] == ["1", "2"]
        page.get_by_role("button", name=re.compile(r"^Adopt")).click()
        expect(page.get_by_text(re.compile(r"Adopted .+ its plan is version 2"))).to_be_visible()

        # 2. A change by hand that breaks a rule is refused, naming it; nothing is saved.
        plan = _plan(app, cycle_id, 2)
        navigation = next(v for v in plan["reviews"] if v["school_urn"] == "106283")
        lead = next(m["reviewer"] for m in navigation["team"] if m["role"] == "lead")
        page.get_by_label("Change a visit of version 2 by hand").select_option(label="Navigation Primary School")
        page.get_by_role("button", name="Change this visit").click()
        page.get_by_label("Reviewer who leaves").select_option(lead)
        page.get_by_label("Reviewer who takes their place (and role)").select_option("r-06")  # a governor there
        page.get_by_role("button", name="Swap", exact=True).click()
        refusal = page.locator("#refused")
        assert "rule 5 (conflicts)" in refusal.inner_text() and "Head 6 (r-06)" in refusal.inner_text()
        assert "declared conflict" in refusal.inner_text() and "Nothing was saved." in refusal.inner_text()

        # 3. One that keeps every rule is a new version, made by hand.
        taken = {v["date"] for v in plan["reviews"]}
        day = next(d for d in ("2026-09-08", "2026-09-09", "2026-09-10", "2026-09-15") if d not in taken)
        page.get_by_label("New date").fill(day)
        page.get_by_role("button", name="Move", exact=True).click()
        banner = page.get_by_role("status").first.inner_text()
        assert "Version 3, made by hand" in banner and f"to {day}" in banner, banner
        expect(page.get_by_text("Navigation Primary School, as in version 3")).to_be_visible()

        # 4. Published: one mail for each affected headteacher, each with a calendar.
        page.get_by_role("button", name="Publish version 3").click()
        assert "5 mail(s) to headteachers" in page.get_by_role("status").first.inner_text()
        messages = sink.wait_for(5)
        page.reload()
        assert "5 sent" in page.locator("#mail").inner_text()
        page.goto(f"{server}/audit")
        trail = page.locator("#audit-events").inner_text()
        for what in ("published version 3", "by hand", "adopted the what-if", "signed in"):
            assert what in trail, what

    plan = _plan(app, cycle_id, 3)
    homes = {f"r-0{i + 1}": urn for i, urn in enumerate(SCHOOLS)}
    affected = {v["school_urn"] for v in plan["reviews"]} | {
        homes[m["reviewer"]] for v in plan["reviews"] for m in v["team"]
    }
    assert sorted(m["To"] for m in messages) == sorted(head_email(u) for u in affected)
    for message in messages:
        ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
        events = list(icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT"))
        assert events and all(e.decoded("DTSTART") for e in events)


def _plan(app, cycle_id, number):
    from service import plans
    from service.extensions import db
    from service.models import Cycle

    with app.app_context():
        return plans.get_version(db.session.get(Cycle, cycle_id), number).plan
