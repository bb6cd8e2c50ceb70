"""A new officer, in a real browser, from an empty LA to a published plan with no API call and no
file edited by hand: the Trafford extract and a reviewers workbook uploaded (a bad one refused
with its rows named), clusters set from the school list, a school edited, the cycle made with
the form (its errors shown first), solved and published. axe-core checks every page on the way.

This is the first half of issue #10's end-to-end test; the what-if, the hand changes and the
mails of the second half hang on to `officer_journey_to_a_solved_cycle`.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser import axe_page, chromium, serve
from pagehelpers import OFFICER_EMAIL, login_path, reviewers_xlsx, trafford_csv

PRIMARY_HEADS = "reviewers.xlsx"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(empty_la):
    with serve(empty_la) as url:
        yield url


def primary_heads() -> list[dict]:
    """A head from every primary school of the extract (ages up to 11), half of them accredited leads."""
    rows = csv.DictReader(io.StringIO(trafford_csv().decode("utf-8")))
    heads = []
    for row in rows:
        if row["highest_admission_age"] == "11" and row["type"] != "Special schools":
            n = len(heads)
            heads.append(
                {
                    "id": f"h-{row['unique_reference_number']}",
                    "name": f"Head of {row['name']}",
                    "school_urn": int(row["unique_reference_number"]),  # a number cell, as Excel keeps it
                    "role": "headteacher",
                    "lead_accredited": n % 2 == 0,
                    "max_reviews": 2,
                    "day_rate": 400 + 10 * (n % 5),
                }
            )
    return heads


def seen(locator) -> None:
    """Wait for `locator` to show (after a click, the next page may still be loading)."""
    locator.wait_for(state="visible")


def upload(page, server, kind, name, body, mime):
    page.goto(f"{server}/{kind}")
    page.get_by_role("button", name=f"Upload {kind}").click()
    page.get_by_label("Upload a file").set_input_files({"name": name, "mimeType": mime, "buffer": body})
    page.get_by_role("button", name="Check the file").click()


def officer_journey_to_a_solved_cycle(page, server, app) -> int:
    """Sign in, fill the pool, make and solve a cycle; returns the cycle's id (on its page)."""
    page.goto(server + login_path(app, OFFICER_EMAIL))
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Review cycles")
    assert "No cycles yet" in page.locator("main").inner_text()

    # The schools: the real extract, previewed, then saved.
    upload(page, server, "schools", "trafford_schools_and_colleges_20240926.csv", trafford_csv(), "text/csv")
    figures = page.locator(".app-figures").inner_text()
    assert re.search(r"To add\s+103", figures) and re.search(r"To change\s+0", figures)
    page.get_by_role("button", name="Save 103 new and 0 changed schools").click()
    seen(page.get_by_role("status").filter(has_text="103 schools added, 0 updated."))

    # A bad reviewers workbook: refused, its rows and columns named, nothing saved.
    bad = reviewers_xlsx([{"id": "h-x", "school_urn": 999999}, {"id": "h-y", "day_rate": "a lot"}])
    upload(
        page,
        server,
        "reviewers",
        "reviewers-draft.xlsx",
        bad,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    seen(page.get_by_role("alert").filter(has_text="There is a problem"))
    problems = page.locator("#problems").inner_text()
    assert re.search(r"2\tC \(school_urn\)\tunknown school '999999'", problems), problems
    assert re.search(r"3\tI \(day_rate\)\tnot a number: 'a lot'", problems), problems
    page.get_by_role("link", name="Reviewers").first.click()
    seen(page.get_by_role("heading", name="0 reviewers"))

    heads = primary_heads()
    upload(
        page,
        server,
        "reviewers",
        PRIMARY_HEADS,
        reviewers_xlsx(heads),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    page.get_by_role("button", name=f"Save {len(heads)} new and 0 changed reviewers").click()
    seen(page.get_by_role("status").filter(has_text=f"{len(heads)} reviewers added"))

    # Clusters from the list: the keyboard alone filters by postcode district; "choose all shown".
    for district, cluster in (("M33", "Sale"), ("M41", "Urmston"), ("WA1", "Altrincham")):
        page.goto(f"{server}/schools")
        page.get_by_label("Name, URN or postcode").focus()
        page.keyboard.type(district)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=" + district))
        page.get_by_label(re.compile(r"Choose all \d+ schools shown")).check()
        page.get_by_label("Put the chosen schools in the cluster").fill(cluster)
        page.get_by_role("button", name="Set cluster").click()
        seen(page.get_by_role("status").filter(has_text=f"put in the cluster {cluster}"))
    page.goto(f"{server}/schools?cluster=Sale&phase=primary")
    sale_primaries = int(re.match(r"(\d+) school", page.get_by_role("heading", level=2).first.inner_text()).group(1))
    assert sale_primaries >= 8

    # One school edited by hand.
    page.goto(f"{server}/schools/106283")
    page.get_by_label("Pupils").fill("-4")
    page.get_by_role("button", name="Save Navigation Primary School").click()
    seen(page.get_by_role("link", name="Must be greater than or equal to 0."))
    page.get_by_label("Pupils").fill("412")
    page.get_by_role("button", name="Save Navigation Primary School").click()
    seen(page.get_by_role("status").filter(has_text="Navigation Primary School saved."))

    # The cycle, with the form: first sent half done, then completed.
    page.get_by_role("link", name="Cycles").first.click()
    page.get_by_role("button", name="Create a cycle").click()
    page.get_by_role("button", name="Create the cycle").click()
    summary = page.locator(".govuk-error-summary")
    seen(summary)
    assert "Enter a name for the cycle" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")  # GOV.UK moves focus there
    summary.get_by_role("link", name="Choose at least one school to review").click()
    page.get_by_label("Name of the cycle").fill("Spring 2027 primary peer review")
    for which, (d, m, y) in (("First", ("4", "1", "2027")), ("Last", ("26", "3", "2027"))):
        group = page.get_by_role("group", name=f"{which} day of the review window")
        group.get_by_label("Day").fill(d)
        group.get_by_label("Month").fill(m)
        group.get_by_label("Year").fill(y)
    page.get_by_label("Days no school is visited").fill("15/02/2027\n16/02/2027\n17/02/2027\n18/02/2027\n19/02/2027")
    page.get_by_label("Reviewers in a team").fill("2")
    page.get_by_label("Backfill, all clusters").fill("20000")
    page.locator("#f-phase").select_option("primary")
    page.locator("#f-cluster").select_option("Sale")
    page.get_by_role("button", name="Show matching schools").click()
    page.get_by_role("button", name="Select all shown").click()
    seen(page.get_by_text(f"{sale_primaries} school(s) match; {sale_primaries} chosen in all"))
    page.get_by_role("button", name="Create the cycle").click()
    seen(page.get_by_role("status").filter(has_text=f"created with {sale_primaries} school(s) to review"))
    cycle_id = int(re.search(r"/cycles/(\d+)", page.url).group(1))

    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_role("button", name="Start a solve").click()
    page.get_by_text(re.compile(r"Last solve: finished, made version 1")).wait_for(timeout=60_000)
    return cycle_id


def test_a_new_officer_goes_from_an_empty_la_to_a_published_plan(browser, server, empty_la):
    with axe_page(browser) as page:
        cycle_id = officer_journey_to_a_solved_cycle(page, server, empty_la)
        staffed = int(re.search(r"Staffed\s+(\d+)", page.locator("main").inner_text()).group(1))
        assert staffed >= sale_primaries_min(empty_la)
        page.get_by_role("button", name="Publish version 1").click()
        seen(page.get_by_role("status").filter(has_text="Version 1 is published"))
        assert f"/cycles/{cycle_id}" in page.url
        # Every page on the way was checked by axe-core (the context manager fails on any violation).
        assert len(page.axe.checked) >= 20, page.axe.checked


def sale_primaries_min(app) -> int:
    """Most of Sale's primaries are staffed (a few may lack a team in 5 s, never most)."""
    from service.extensions import db
    from service.models import Review

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Review.id))) // 2
