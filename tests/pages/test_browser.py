"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright, against the
app served on localhost by a werkzeug server thread.

Chromium missing: the tests skip on a developer's machine and fail under CI (`CI=true`);
`make test` installs it first. No browser is ever downloaded.
"""

from __future__ import annotations

import os
import re

import pytest
from browser import axe_page, chromium, serve
from pagehelpers import HEAD_EMAIL, HEAD_REVIEWER, OFFICER_EMAIL, OTHER_REVIEWER, login_path
from playwright.sync_api import expect

SCREENSHOTS = os.environ.get("PAGES_SCREENSHOTS")  # a folder: save one picture of each main page


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(app):
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser):
    with axe_page(browser) as p:
        yield p


def sign_in(page, server, app, email):
    page.goto(server + login_path(app, email))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").filter(has_text=f"Signed in as {email}")).to_be_visible()


def shoot(page, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_headteacher_sees_their_visits_and_nothing_of_other_schools(page, server, app, cycle_id):
    sign_in(page, server, app, HEAD_EMAIL)
    assert page.url == server + "/school"
    assert page.get_by_role("heading", level=1).inner_text() == "Well Green Primary School"
    hosting = page.get_by_role("region", name="Visit to your school")
    assert "Lead reviewer" in hosting.inner_text()
    assert re.search(r"\w+day \d+ September 2026", hosting.inner_text())
    reviewing = page.get_by_role("region", name="Your reviewers' visits")
    row = reviewing.get_by_role("row").filter(has_text="Navigation Primary School")
    assert "Head 4" in row.inner_text() and re.search(r"\d+\.\d km", row.inner_text())
    assert (
        page.get_by_role("link", name="Subscribe to these visits in your calendar app")
        .get_attribute("href")
        .startswith("webcal://127.0.0.1")
    )
    # The subscribed calendar: the feed answers without the session (as a calendar app would).
    feed = page.locator("#feed-url").input_value()
    assert feed.startswith(server + "/calendar/")
    shoot(page, "school")
    # Only their own reviewers are listed; another school's are not.
    reviewers = page.get_by_role("region", name="When your reviewers are away")
    expect(reviewers.get_by_role("heading", name="Head 4")).to_be_visible()
    assert "Head 6" not in reviewers.inner_text()
    # Editing URLs leads nowhere.
    for path in ("/cycles", f"/cycles/{cycle_id}", f"/cycles/{cycle_id}?version=1"):
        response = page.goto(server + path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    token = page.locator("input[name=csrf_token]").first.input_value()
    response = page.request.post(
        server + f"/school/reviewers/{OTHER_REVIEWER}/unavailable", form={"csrf_token": token, "first": "2026-09-09"}
    )
    assert response.status == 404


def test_headteacher_declares_a_reviewer_away_and_a_conflict(page, server, app):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_in(page, server, app, HEAD_EMAIL)
    card = page.get_by_role("article", name="Head 4")
    card.get_by_label("Away from").fill("2026-09-16")
    card.get_by_label("Until (optional)").fill("2026-09-17")
    card.get_by_role("button", name="Add days away for Head 4").click()
    expect(page.get_by_role("status").filter(has_text="Head 4 is away on 2 more day(s).")).to_be_visible()
    away = page.get_by_role("list", name="Days Head 4 is away")
    assert "Wednesday 16 September 2026" in away.inner_text()
    assert "Thursday 17 September 2026" in away.inner_text()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "school-phone")
    for day in ("Wednesday 16 September 2026", "Thursday 17 September 2026"):
        page.get_by_role("button", name=f"Remove {day} for Head 4").click()
    expect(page.get_by_role("article", name="Head 4").get_by_text("No days away declared.")).to_be_visible()

    form = page.get_by_role("region", name="Conflicts of interest")
    form.get_by_label("Reviewer").select_option(HEAD_REVIEWER)
    form.get_by_label("School they must not review").select_option(label="Broadheath Primary School (106289)")
    form.get_by_label("Reason (optional)").fill("governor")
    form.get_by_role("button", name="Declare conflict").click()
    expect(page.get_by_role("status").filter(has_text="Head 4 will not review Broadheath")).to_be_visible()
    withdraw = page.get_by_role("button", name="Withdraw the conflict of Head 4 with Broadheath Primary School")
    withdraw.click()
    expect(page.get_by_role("status").filter(has_text="Conflict withdrawn.")).to_be_visible()


def test_officer_reviews_a_proposal_with_causes_and_publishes_it(page, server, app, cycle_id):
    sign_in(page, server, app, OFFICER_EMAIL)
    assert page.url == server + "/cycles"
    row = page.get_by_role("row").filter(has_text="Autumn 2026 primary peer review")
    # The tiny cycle's window (September 2026) may be past: then its state is "over".
    assert re.search(r"\t(published|over)\t", row.inner_text().lower()) and "version 1" in row.inner_text()
    shoot(page, "cycles")
    row.get_by_role("link").click()
    page.goto(server + f"/cycles/{cycle_id}?version=2")
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    diff = page.get_by_role("region", name="What changes from the published version 1")
    change = diff.get_by_role("row").filter(has_text="Navigation Primary School")
    assert "changed" in change.inner_text()
    assert "unavailable" in change.inner_text()  # the cause, from solver.causes
    chart = page.get_by_role("img", name="Spending against budgets, version 2")
    assert chart.is_visible() and "Backfill, all clusters" in page.locator("svg.app-chart").text_content()
    assert page.get_by_role("region", name="Support").get_by_role("row").count() >= 2
    staffed = page.get_by_role("region", name=re.compile("Staffed visits"))
    assert staffed.get_by_role("row").count() == 3  # header + two visits
    shoot(page, "cycle-proposal")

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_role("status").filter(has_text="Version 2 is published")).to_be_visible()
    assert "version 2 published" in page.locator(".lede").inner_text()
    # Put version 1 back for the other tests.
    page.goto(server + f"/cycles/{cycle_id}?version=1")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status").filter(has_text="Version 1 is published")).to_be_visible()


def test_officer_locks_and_unlocks_a_published_visit(page, server, app, cycle_id):
    sign_in(page, server, app, OFFICER_EMAIL)
    page.goto(server + f"/cycles/{cycle_id}?version=1")
    page.get_by_role("button", name="Lock the visit to Navigation Primary School").click()
    expect(page.get_by_role("status").filter(has_text="Visit to Navigation Primary School locked")).to_be_visible()
    expect(page.locator("#visit-106283 .govuk-tag", has_text="locked")).to_be_visible()
    page.get_by_role("button", name="Unlock the visit to Navigation Primary School").click()
    expect(page.get_by_role("status").filter(has_text="unlocked")).to_be_visible()


def test_officer_starts_a_solve_and_the_page_follows_it(page, server, app, cycle_id):
    sign_in(page, server, app, OFFICER_EMAIL)
    page.goto(server + f"/cycles/{cycle_id}")
    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_role("button", name="Start a solve").click()
    expect(page.get_by_role("status").filter(has_text="Solve started")).to_be_visible()
    # While it runs the progress box polls; when it ends the page reloads on its own.
    page.get_by_text(re.compile(r"Last solve: finished, made version \d+")).wait_for(timeout=30_000)
    versions = page.get_by_role("navigation", name="Plan versions").get_by_role("link")
    assert versions.count() >= 3
    shoot(page, "cycle-after-solve")


def test_sign_out_ends_the_session(page, server, app):
    sign_in(page, server, app, HEAD_EMAIL)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="You have signed out.")).to_be_visible()
    page.goto(server + "/school")
    assert page.url.startswith(server + "/sign-in")
    shoot(page, "sign-in")


def test_the_progress_of_a_running_solve_updates_in_place(page, server, app, cycle_id):
    """A solve row that reports progress (as a runner does) and then ends: the page follows it."""
    from service import solves
    from service.extensions import db
    from service.models import Solve, utcnow

    with app.app_context():
        row = Solve(
            cycle_id=cycle_id,
            status="running",
            time_limit_s=60,
            runner=solves.this_process(),
            started_at=utcnow(),
            objective=2500.0,
            bound=1000.0,
            elapsed_s=3.0,
        )
        db.session.add(row)
        db.session.commit()
        solve_id = row.id
    solves._LIVE_THREADS.add(solve_id)  # this process "runs" it, so it is not reaped as dead

    def update(**values):
        with app.app_context():
            db.session.execute(db.update(Solve).where(Solve.id == solve_id).values(**values))
            db.session.commit()

    try:
        sign_in(page, server, app, OFFICER_EMAIL)
        page.goto(server + f"/cycles/{cycle_id}")
        box = page.locator("#progress")
        assert box.get_attribute("aria-live") == "polite"
        assert "£2,500" in box.inner_text() and "£1,000" in box.inner_text()
        shoot(page, "cycle-solving")
        update(objective=1800.0, bound=1700.0, elapsed_s=9.0)
        page.locator('#progress [data-field="objective"]', has_text="£1,800").wait_for()
        assert "£1,700" in box.inner_text()
        update(status="cancelled", finished_at=utcnow())
        page.get_by_text("Last solve: cancelled.").wait_for()  # the page reloaded on its own
        assert page.locator("#progress").count() == 0
    finally:
        solves._LIVE_THREADS.discard(solve_id)
        update(status="cancelled")
