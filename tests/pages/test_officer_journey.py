"""A new officer, in a real browser, from an empty LA to a published plan with no API call and no
file edited by hand: the Trafford extract and a reviewers workbook (with the heads' addresses)
uploaded, a bad workbook refused with its rows named, clusters set from the school list, a school
edited, the cycle made with the form (its errors shown first) and solved; the reviews the travel
limit left unstaffed answered through a what-if; one change by hand refused (the rule named) and
one accepted; the plan published, and a real SMTP server receives one mail per affected
headteacher with a valid .ics. axe-core checks every page on the way.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import icalendar
import pytest
from browser import axe_page, chromium, serve
from pagehelpers import OFFICER_EMAIL, login_path, reviewers_xlsx, trafford_csv
from playwright.sync_api import expect

from service import plans
from service.errors import NotFound
from service.extensions import db
from service.models import Cluster, Cycle, Review, School

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
                    "email": head_email(row["unique_reference_number"]),
                }
            )
    return heads


def head_email(urn) -> str:
    return f"head.{urn}@trafford.example"


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
    # 3 km: a few of Sale's primaries have no team that near (their nearest lead is 3.0-3.4 km away).
    page.get_by_label("Travel limit").fill("3")
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


def test_a_new_officer_goes_from_an_empty_la_to_a_published_plan(browser, server, empty_la, smtp_sink):
    app = empty_la
    with axe_page(browser) as page:
        cycle_id = officer_journey_to_a_solved_cycle(page, server, app)
        staffed = int(re.search(r"Staffed\s+(\d+)", page.locator("main").inner_text()).group(1))
        assert staffed >= sale_primaries_min(app)

        # 1. The reviews the travel limit left unstaffed: a reason each, and the what-if it suggests.
        page.get_by_role("link", name=re.compile(r"Answer the \d+ unstaffed review")).click()
        card = page.get_by_role("article").first
        assert "km" in card.inner_text(), card.inner_text()
        card.get_by_role("button", name=re.compile(r"What if: travel limit \d+ km")).click()
        page.locator("#comparison").wait_for(timeout=90_000)
        assert "is staffed" in page.locator("#answer").inner_text()
        page.get_by_role("button", name=re.compile(r"^Adopt")).click()
        expect(page.get_by_text(re.compile(r"Adopted .+ its plan is version 2"))).to_be_visible()

        # 2. A swap that puts a head of the same cluster on the team is refused, the rule named.
        plan = _plan(app, cycle_id, 2)
        visit = plan["reviews"][0]
        names = _school_names(app)
        lead = next(m["reviewer"] for m in visit["team"] if m["role"] == "lead")
        on_team = {m["reviewer"] for m in visit["team"]}
        sale_head = next(
            f"h-{urn}" for urn in _cluster_urns(app, "Sale") if urn != visit["school_urn"] and f"h-{urn}" not in on_team
        )
        page.get_by_label("Change a visit of version 2 by hand").select_option(label=names[visit["school_urn"]])
        page.get_by_role("button", name="Change this visit").click()
        page.get_by_label("Reviewer who leaves").select_option(lead)
        page.get_by_label("Reviewer who takes their place (and role)").select_option(sale_head)
        page.get_by_role("button", name="Swap", exact=True).click()
        refusal = page.locator("#refused").inner_text()
        assert "rule 5 (conflicts)" in refusal and sale_head in refusal, refusal
        assert "Nothing was saved." in refusal
        assert _plan(app, cycle_id, 3) is None

        # 3. Moving the visit to a day its team and school are free keeps every rule: version 3, by hand.
        day = _free_day(app, cycle_id, plan, visit)
        page.get_by_label("New date").fill(day)
        page.get_by_role("button", name="Move", exact=True).click()
        banner = page.get_by_role("status").first.inner_text()
        assert "Version 3, made by hand" in banner and f"to {day}" in banner, banner

        # 4. Published: one mail for each affected headteacher, each with a calendar.
        page.get_by_role("button", name="Publish version 3").click()
        told = page.get_by_role("status").first.inner_text()
        sent = int(re.search(r"(\d+) mail\(s\) to headteachers", told).group(1))
        messages = smtp_sink.wait_for(sent)
        seen(page.get_by_role("status").filter(has_text="Version 3 is published"))
        assert f"/cycles/{cycle_id}" in page.url
        # Every page on the way was checked by axe-core (the context manager fails on any violation).
        assert len(page.axe.checked) >= 25, page.axe.checked

    plan = _plan(app, cycle_id, 3)
    reviewed = {v["school_urn"] for v in plan["reviews"]}
    homes = {m["reviewer"].removeprefix("h-") for v in plan["reviews"] for m in v["team"]}
    # Every affected school whose head has an account (each reviewer's school has: the workbook gave
    # their addresses; a reviewed school whose head reviews nobody has none, and gets no mail).
    accounts = {h["email"] for h in primary_heads()}
    expected = sorted(head_email(u) for u in reviewed | homes if head_email(u) in accounts)
    assert sent == len(expected) >= len(homes) > 0
    assert sorted(m["To"] for m in messages) == expected
    for message in messages:
        ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
        events = list(icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT"))
        assert events and all(e.decoded("DTSTART") for e in events)


def _plan(app, cycle_id, number):
    with app.app_context():
        try:
            return plans.get_version(db.session.get(Cycle, cycle_id), number).plan
        except NotFound:
            return None


def _school_names(app) -> dict[str, str]:
    with app.app_context():
        return {s.urn: s.name for s in db.session.scalars(db.select(School))}


def _cluster_urns(app, cluster: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(School.urn).join(Cluster).where(Cluster.name == cluster)))


def _free_day(app, cycle_id, plan, visit) -> str:
    """A school day of the window on which nobody of the visit's team, nor its school's head, is busy."""
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        start, end, closed = cycle.window_start, cycle.window_end, set(cycle.excluded_dates or [])
    people = {m["reviewer"] for m in visit["team"]} | {"h-" + visit["school_urn"]}
    schools = {p.removeprefix("h-") for p in people}
    busy = {
        v["date"]
        for v in plan["reviews"]
        if v is not visit and (v["school_urn"] in schools or people & {m["reviewer"] for m in v["team"]})
    }
    day = start + dt.timedelta(days=7)
    while day <= end:
        iso = day.isoformat()
        if day.weekday() < 5 and iso not in closed and iso not in busy and iso != visit["date"]:
            return iso
        day += dt.timedelta(days=1)
    raise AssertionError("no free day in the window")


def sale_primaries_min(app) -> int:
    """Most of Sale's primaries are staffed (a few may lack a team in 5 s, never most)."""
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Review.id))) // 2
