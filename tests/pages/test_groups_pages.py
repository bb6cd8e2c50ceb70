"""The groups model through the pages, without a browser: the new-cycle form makes a v1.1 groups
cycle; solved and published, a headteacher sees their group, whom they host and whom they visit;
the next round's groups are new; the fair-load report (page and CSV) counts what was published."""

from __future__ import annotations

import csv
import io
import itertools
import re
import time

import pytest
import triosite
from pagehelpers import signed_in_client

FORM = {
    "name": "Autumn 2026 trios",
    "window-start-day": "7",
    "window-start-month": "9",
    "window-start-year": "2026",
    "window-end-day": "20",
    "window-end-month": "11",
    "window-end-year": "2026",
    "excluded_dates": "26/10/2026\n27/10/2026\n28/10/2026\n29/10/2026\n30/10/2026",
    "notice_days": "7",
    "model": "groups",
    "group_min": "3",
    "group_max": "3",
    "avoid_rounds": "2",
    "facilitator": "optional",
    "facilitators": ["f-01"],
    "visit_lengths": "size",
    "follow_up": "yes",
    "follow_up_days": "1",
    "follow_up_min_weeks": "2",
    "follow_up_max_weeks": "6",
    "load_cycles": "3",
    "load_max_total": "8",
    "team_size": "3",
    "visit_days": "1",
    "lead_required": "yes",
    "same_cluster": "allow",
    "same_trust": "forbid",
    "reciprocal": "forbid",
    "phase_match": "require",
    "support_conflict": "forbid",
    "no_repeat_cycles": "0",
    "max_travel_km": "15",
    "reviews": [urn for urn, *_ in triosite.SCHOOLS],
    "req-count": "0",
    "prov-count": "0",
    "action": "create",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return triosite.build(tmp_path_factory.mktemp("trios") / "service.sqlite3")


def solve_and_publish(app, cycle_id: int) -> dict:
    from service.extensions import db
    from service.models import Cycle, Solve
    from service.plans import get_version, publish
    from service.solves import start_solve

    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        solve = start_solve(cycle, time_limit_s=10)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            db.session.expire_all()
            solve = db.session.get(Solve, solve.id)
            if solve.status not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert solve.status == "finished", (solve.status, solve.error)
        version = solve.plan_version
        publish(cycle, get_version(cycle, version.number))
        db.session.commit()
        return version.plan


def scenario_of(app, cycle_id: int) -> dict:
    from service.extensions import db
    from service.models import Cycle
    from service.scenario import build_scenario

    with app.app_context():
        return build_scenario(db.session.get(Cycle, cycle_id))


def create(client, token, form) -> int:
    response = client.post("/cycles/new", data=form | {"csrf_token": token})
    assert response.status_code == 302, re.findall(r'<a href="#[^"]+">([^<]*)</a>', response.data.decode())
    return int(response.headers["Location"].rsplit("/", 1)[1])


def pairs(groups) -> set[frozenset]:
    return {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}


def test_a_trio_round_then_the_next_with_new_groups(app):
    client, token = signed_in_client(app, triosite.OFFICER)
    first = create(client, token, FORM)
    scenario = scenario_of(app, first)
    assert scenario["version"] == "1.1" and scenario["cycle"]["model"] == "groups"
    assert scenario["cycle"]["groups"] == {
        "min_size": 3,
        "max_size": 3,
        "avoid_rounds": 2,
        "facilitator": "optional",
        "facilitators": ["f-01"],
    }
    assert scenario["cycle"]["visit_lengths"][0]["days"] == 3 and scenario["cycle"]["load"] == {
        "cycles": 3,
        "max_total": 8,
    }
    assert "reciprocal" not in scenario["cycle"]["policy"] and scenario["group_history"] == []
    assert all(r["follow_up"] for r in scenario["reviews"])
    plan = solve_and_publish(app, first)
    assert len(plan["groups"]) == 3 and not plan["unstaffed"] and len(plan["follow_ups"]) == 9
    broadheath = next(v for v in plan["reviews"] if v["school_urn"] == "106289")
    assert len(broadheath["days"]) == 2  # 630 pupils: two days by the size bands

    # The cycle page lists the groups; the headteacher sees theirs.
    page = client.get(f"/cycles/{first}").data.decode()
    assert "Groups (3)" in page and "Follow-ups" in page
    assert client.get(f"/cycles/{first}/unstaffed").status_code == 200
    # A second solve of the round (a proposal beside the published plan): its page compares them.
    with app.app_context():
        from service.extensions import db
        from service.models import Cycle, Solve
        from service.solves import start_solve

        solve_id = start_solve(db.session.get(Cycle, first), time_limit_s=5).id
        deadline = time.monotonic() + 60
        while db.session.get(Solve, solve_id).status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            db.session.expire_all()
    proposal = client.get(f"/cycles/{first}?version=2")
    assert proposal.status_code == 200 and "Version 2" in proposal.data.decode()
    head, _ = signed_in_client(app, triosite.head_email(triosite.HEAD_URN))
    html = head.get("/school").data.decode()
    mine = next(g for g in plan["groups"] if triosite.HEAD_URN in g["schools"])
    names = {urn: name for urn, name, *_ in triosite.SCHOOLS}
    heading = re.search(r'<h2 class="govuk-heading-m" id="group-h-1">([^<]*)</h2>', html).group(1)
    assert heading.startswith("Your group: Well Green Primary School, ")
    for other in set(mine["schools"]) - {triosite.HEAD_URN}:
        row = re.search(rf'<th scope="row" class="govuk-table__header">{names[other]}</th>(.*?)</tr>', html, re.S)
        assert row and f"Head of {names[other]}" in row.group(1), html  # they visit us
        assert "Head of Well Green Primary School" in row.group(1)  # we visit them
    assert "Follow-up at your school on" in html

    # The next round: created after this one, its groups pair nobody who was paired now.
    second = create(
        client,
        token,
        FORM
        | {
            "name": "Spring 2027 trios",
            "window-start-year": "2027",
            "window-end-year": "2027",
            "window-start-month": "1",
            "window-end-month": "3",
            "window-start-day": "11",
            "window-end-day": "26",
            "excluded_dates": "15/02/2027\n16/02/2027\n17/02/2027\n18/02/2027\n19/02/2027",
        },
    )
    history = scenario_of(app, second)["group_history"]
    assert sorted(map(sorted, (g["schools"] for g in history))) == sorted(
        map(sorted, (g["schools"] for g in plan["groups"]))
    )
    assert {g["cycles_ago"] for g in history} == {1} and {g["name"] for g in history} == {"Autumn 2026 trios"}
    again = solve_and_publish(app, second)
    assert len(again["groups"]) == 3
    assert not pairs(g["schools"] for g in again["groups"]) & pairs(g["schools"] for g in plan["groups"])

    # Fair load: the school year 2026-27 holds both rounds: two visits each, twice.
    report = client.get("/fairness?year=2026").data.decode()
    assert "Fair load: school year 2026-27" in report and 'role="img"' in report
    rows = list(csv.reader(io.StringIO(client.get("/fairness.csv?year=2026").data.decode())))
    header = rows[0]
    assert header[:7] == ["reviewer", "name", "role", "school", "reviews", "days_away", "travel_km"]
    by_id = {r[0]: r for r in rows[1:] if r and r[0].startswith("h-")}
    assert len(by_id) == 9 and all(int(r[4]) == 4 for r in by_id.values())
    assert by_id["h-106288"][header.index("reviews_2026-27")] == "4"
    schools = rows[rows.index([]) + 2 :]
    assert {(r[2], r[3]) for r in schools} == {("2", "4")}  # each school hosted twice and gave four places
    cycle_csv = list(csv.reader(io.StringIO(client.get(f"/cycles/{first}/fairness.csv").data.decode())))
    assert {r[4] for r in cycle_csv[1:] if r and r[0].startswith("h-")} == {"2"}


def test_the_form_puts_a_groups_problem_on_its_field(app):
    client, token = signed_in_client(app, triosite.OFFICER)
    bad = FORM | {
        "csrf_token": token,
        "name": "Too small",
        "group_min": "4",
        "group_max": "3",
        "facilitator": "required",
        "facilitators": [],
    }
    response = client.post("/cycles/new", data=bad)
    assert response.status_code == 422
    summary = dict(re.findall(r'<li>\s*<a href="#([^"]+)">([^<]*)</a>', response.data.decode()))
    assert summary["group-max"] == "Largest group: max_size is below min_size"
    assert summary["facilitators-fieldset"].startswith(
        "Facilitator pool: facilitator is required but the pool is empty"
    )
