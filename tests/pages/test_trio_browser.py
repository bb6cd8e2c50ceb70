"""One trio cycle end to end in a real browser: the officer makes a groups cycle with the form,
solves and publishes it; a headteacher signs in and sees their trio, whom they host and whom
they visit; the fair-load report shows the round. axe-core checks every page on the way."""

from __future__ import annotations

import re

import pytest
import triosite
from browser import axe_page, chromium, serve
from pagehelpers import login_path
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return triosite.build(tmp_path_factory.mktemp("trio-browser") / "service.sqlite3")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(app):
    with serve(app) as url:
        yield url


def sign_in(page, server, app, email):
    page.goto(server + login_path(app, email))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status").filter(has_text=f"Signed in as {email}")).to_be_visible()


@pytest.mark.slow
def test_a_trio_cycle_from_the_form_to_the_headteacher(browser, server, app):
    with axe_page(browser) as page:
        sign_in(page, server, app, triosite.OFFICER)
        page.get_by_role("button", name="Create a cycle").click()
        page.get_by_label("Name of the cycle").fill("Autumn 2026 trios")
        for which, (d, m, y) in (("First", ("7", "9", "2026")), ("Last", ("20", "11", "2026"))):
            group = page.get_by_role("group", name=f"{which} day of the review window")
            group.get_by_label("Day").fill(d)
            group.get_by_label("Month").fill(m)
            group.get_by_label("Year").fill(y)
        page.get_by_label("Days no school is visited").fill(
            "26/10/2026\n27/10/2026\n28/10/2026\n29/10/2026\n30/10/2026"
        )
        page.get_by_label("Groups: schools in trios or quads review each other, in a new group each round").check()
        page.get_by_label("Where no head on the team is an accredited lead").check()
        page.get_by_label("Fran Facilitator (adviser)").check()
        page.get_by_label("By school size: 1 day at a small primary up to 3 at a large secondary (groups)").check()
        page.get_by_label("Travel limit").fill("15")
        # Trios across clusters: schools of a cluster may be grouped together.
        page.get_by_role("group", name="Reviewers from the same cluster as the school").get_by_label(
            "Allowed", exact=True
        ).check()
        page.get_by_role("button", name="Select all shown").click()
        expect(page.get_by_text("9 school(s) match; 9 chosen in all")).to_be_visible()
        page.get_by_role("button", name="Create the cycle").click()
        expect(page.get_by_role("status").filter(has_text="created with 9 school(s) to review")).to_be_visible()
        assert "Schools review each other in groups." in page.locator("main").inner_text()

        page.get_by_label("Time limit (seconds)").fill("10")
        page.get_by_role("button", name="Start a solve").click()
        page.get_by_text(re.compile(r"Last solve: finished, made version 1")).wait_for(timeout=90_000)
        groups = page.get_by_role("region", name="Groups (3)")
        expect(groups).to_be_visible()
        assert "Well Green Primary School" in groups.inner_text()
        page.get_by_role("button", name="Publish version 1").click()
        expect(page.get_by_role("status").filter(has_text="Version 1 is published")).to_be_visible()

        page.get_by_role("link", name=re.compile(r"^Fair load: reviews per head")).click()
        expect(page.get_by_role("img", name=re.compile(r"Bar chart of reviews per reviewer"))).to_be_visible()
        table = page.get_by_role("table", name=re.compile(r"Reviews, days away and travel per reviewer"))
        assert (
            table.get_by_role("row")
            .filter(has_text="Head of Well Green Primary School")
            .get_by_role("cell")
            .nth(1)
            .inner_text()
            == "2"
        )

        sign_in(page, server, app, triosite.head_email(triosite.HEAD_URN))
        assert page.url == server + "/school"
        trio = page.get_by_role("region", name=re.compile(r"^Your group: Well Green Primary School, .+ and "))
        expect(trio).to_be_visible()
        rows = trio.get_by_role("row")
        assert rows.count() == 3  # the header and the two other schools
        for i in (1, 2):
            cells = rows.nth(i).inner_text()
            assert re.search(r"Head of .+, \w+day \d+ \w+ 2026", cells), cells  # they visit us, on a date
            assert "Head of Well Green Primary School" in cells  # we visit them
        hosting = page.get_by_role("region", name="Visit to your school")
        assert re.search(r"\w+day \d+ \w+ 2026", hosting.inner_text())
        assert len(page.axe.checked) >= 8, page.axe.checked
