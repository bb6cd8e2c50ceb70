"""The published-visit index: headteachers' reads (/me/visits, .ics, the feed) answer exactly what
the plan documents say, stay in step with every change, and answer conditional requests."""

from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa
from api_helpers import make_user
from test_cycles_api import assert_error

from solver import check, solve
from solver.costs import haversine_km
from solver.generate import generate

# --------------------------------------------------------------------------- the reference


def reference_visits(user) -> list[dict]:
    """What /me/visits answered before the index: computed from the plan documents and the LA's
    whole pool at each request (the code this index replaces, kept here as the specification)."""
    from service.extensions import db
    from service.models import Cycle, Reviewer, School

    school = db.session.get(School, user.school_id)
    mine = {
        r.ext_id: r
        for r in db.session.scalars(
            db.select(Reviewer).where(Reviewer.la_id == user.la_id, Reviewer.school_id == school.id)
        )
    }
    cycles = db.session.scalars(
        db.select(Cycle).where(Cycle.la_id == user.la_id, Cycle.published_version_id.is_not(None)).order_by(Cycle.id)
    )
    schools = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == user.la_id))}
    names = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == user.la_id))}

    def km(a, b):
        if None in (a.lat, a.lon, b.lat, b.lon):
            return None
        return round(haversine_km(a.lat, a.lon, b.lat, b.lon), 1)

    out = []
    for cycle in cycles:
        version = cycle.published_version
        for visit in version.plan.get("reviews", []):
            hosting = visit["school_urn"] == school.urn
            ours = [m["reviewer"] for m in visit["team"] if m["reviewer"] in mine]
            if not hosting and not ours:
                continue
            visited = schools.get(visit["school_urn"])
            out.append(
                {
                    "cycle": {"id": cycle.id, "name": cycle.name},
                    "plan_version": version.number,
                    "kind": "hosting" if hosting else "reviewing",
                    "school_urn": visit["school_urn"],
                    "school_name": visited.name if visited else None,
                    "date": visit["date"],
                    "days": visit.get("days", [visit["date"]]),
                    "distance_km": None if hosting or not visited else km(school, visited),
                    "team": [
                        {
                            "reviewer": m["reviewer"],
                            "name": names[m["reviewer"]].name if m["reviewer"] in names else None,
                            "role": m["role"],
                            "home_school_urn": names[m["reviewer"]].school.urn
                            if m["reviewer"] in names and names[m["reviewer"]].school
                            else None,
                        }
                        for m in visit["team"]
                    ],
                    "_version": version,
                    "_cycle": cycle,
                }
            )
    out.sort(key=lambda v: (v["date"], v["school_urn"]))
    return out


def reference_ics(user) -> bytes:
    from service.exports import calendar

    return calendar(
        reference_visits(user),
        name=f"Peer review: {user.school.name or user.school.urn}",
        cycle_of=lambda v: v["_cycle"],
        version_of=lambda v: v["_version"].number,
    )


def without_stamp(ics: bytes) -> bytes:
    # DTSTAMP is the moment the calendar was made: the only part two answers may differ in.
    return re.sub(rb"DTSTAMP:[0-9TZ]+\r\n", b"", ics)


# --------------------------------------------------------------------------- a published LA


@pytest.fixture(scope="module")
def la():
    """A generated 24-school LA and a plan for it (solved once for both backends)."""
    scenario = generate(24, 11)
    plan = solve(scenario, time_limit=5, workers=1, seed=0)
    assert plan["status"] in ("OPTIMAL", "FEASIBLE") and plan["reviews"], plan["status"]
    assert check(scenario, plan) == []
    return scenario, plan


@pytest.fixture
def published(app, client, la):
    """Two published cycles of the LA (its plan uploaded and published in each) and a headteacher
    token for every school: {urn: token}, and the cycle ids."""
    scenario, plan = la
    admin = client.as_(make_user(app, "officer@la.example", "la_admin", scenario["schools"][0]["la_code"]))
    cycles = []
    for name in ("Autumn review", "Spring review"):
        body = copy.deepcopy(scenario)
        body["cycle"]["name"] = name
        created = admin.post("/api/v1/cycles", json=body)
        assert created.status_code == 201, created.json
        cycle_id = created.json["id"]
        assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/versions", json=plan).status_code == 201
        assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 1}).status_code == 200
        cycles.append(cycle_id)
    from service.cli import create_user
    from service.extensions import db

    code = scenario["schools"][0]["la_code"]
    with app.app_context():  # one transaction for them all
        heads = {
            s["urn"]: create_user(f"head.{s['urn']}@la.example", "headteacher", code, s["urn"])[1]
            for s in scenario["schools"]
        }
        db.session.commit()
    return {"admin": admin, "heads": heads, "cycles": cycles, "plan": plan, "scenario": scenario}


def assert_same_as_reference(app, client, heads) -> int:
    """Every head's /me/visits and .ics equal the reference; the number of visits seen."""
    from service.extensions import db
    from service.models import User
    from service.resources.me.schemas import MyVisitSchema

    seen = 0
    for urn, token in heads.items():
        api = client.as_(token)
        got = api.get("/api/v1/me/visits")
        ics = api.get("/api/v1/me/visits.ics")
        assert got.status_code == 200 and ics.status_code == 200
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.email == f"head.{urn}@la.example"))
            want = MyVisitSchema(many=True).dump(reference_visits(user))
            want_ics = reference_ics(user)
            db.session.remove()
        assert got.json == want, urn
        assert without_stamp(ics.data) == without_stamp(want_ics), urn
        seen += len(want)
    return seen


def etag_of(api, path="/api/v1/me/visits"):
    response = api.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


# --------------------------------------------------------------------------- same answers


def test_every_headteacher_sees_what_the_plans_say(app, client, published):
    seen = assert_same_as_reference(app, client, published["heads"])
    # Both cycles, every visit: each visit shows to its host and to each member's school.
    assert seen >= 2 * len(published["plan"]["reviews"])
    kinds = {v["kind"] for t in published["heads"].values() for v in client.as_(t).get("/api/v1/me/visits").json}
    assert kinds == {"hosting", "reviewing"}


def test_the_index_follows_changes_to_what_it_copies(app, client, published):
    admin, plan = published["admin"], published["plan"]
    visit = plan["reviews"][0]
    host, member = visit["school_urn"], visit["team"][0]["reviewer"]
    other = next(s["urn"] for s in published["scenario"]["schools"] if s["urn"] != host)
    head = client.as_(published["heads"][host])
    before = etag_of(head)

    assert (
        admin.patch(f"/api/v1/schools/{host}", json={"name": "Renamed Primary", "postcode": "ZZ1 1ZZ"}).status_code
        == 200
    )
    assert admin.patch(f"/api/v1/schools/{other}", json={"lat": None, "lon": None}).status_code == 200
    assert (
        admin.patch(f"/api/v1/reviewers/{member}", json={"name": "Renamed Head", "school_urn": other}).status_code
        == 200
    )
    assert (
        admin.patch(f"/api/v1/cycles/{published['cycles'][1]}", json={"name": "Spring review (moved)"}).status_code
        == 200
    )
    after = head.get("/api/v1/me/visits")
    assert after.headers["ETag"] != before
    mine = [v for v in after.json if v["school_urn"] == host]
    assert {v["school_name"] for v in mine} == {"Renamed Primary"}, [
        (v["cycle"], v["school_name"], v["kind"]) for v in after.json
    ]
    assert {v["cycle"]["name"] for v in mine} == {"Autumn review", "Spring review (moved)"}
    assert all(
        m["name"] == "Renamed Head" and m["home_school_urn"] == other
        for v in mine
        for m in v["team"]
        if m["reviewer"] == member
    )
    assert_same_as_reference(app, client, published["heads"])

    # A reviewer removed from the pool still shows in a published plan, without a name.
    assert admin.delete(f"/api/v1/reviewers/{member}").status_code == 204
    assert all(
        m["name"] is None for v in head.get("/api/v1/me/visits").json for m in v["team"] if m["reviewer"] == member
    )
    assert_same_as_reference(app, client, published["heads"])


def test_deleting_a_published_cycle_takes_its_visits_away(app, client, published):
    admin, first, second = published["admin"], *published["cycles"]
    host = published["plan"]["reviews"][0]["school_urn"]
    head = client.as_(published["heads"][host])
    before = etag_of(head)
    assert admin.delete(f"/api/v1/cycles/{second}").status_code == 204
    answer = head.get("/api/v1/me/visits")
    assert answer.headers["ETag"] != before
    assert answer.json and {v["cycle"]["id"] for v in answer.json} == {first}
    assert_same_as_reference(app, client, published["heads"])


# --------------------------------------------------------------------------- conditional requests


def test_etag_and_304(app, client, published):
    from service.extensions import db
    from service.models import User
    from service.pages.signin import calendar_feed_token

    host = published["plan"]["reviews"][0]["school_urn"]
    head = client.as_(published["heads"][host])
    with app.test_request_context():
        user = db.session.scalar(db.select(User).where(User.email == f"head.{host}@la.example"))
        feed = f"/calendar/{calendar_feed_token(user)}.ics"
    for path, api in (("/api/v1/me/visits", head), ("/api/v1/me/visits.ics", head), (feed, client)):
        first = api.get(path)
        assert first.status_code == 200 and first.data
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "private, no-cache"
        assert tag.startswith('W/"') == path.endswith(".ics")
        again = api.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304, path
        assert again.data == b""
        assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == "private, no-cache"
        # A list naming it, and the strong form of a weak tag, match too (weak comparison).
        assert api.get(path, headers={"If-None-Match": f'"nope", {tag}'}).status_code == 304
        assert api.get(path, headers={"If-None-Match": tag.removeprefix("W/")}).status_code == 304
        stale = api.get(path, headers={"If-None-Match": '"something-else"'})
        assert stale.status_code == 200 and stale.data
    # JSON and iCalendar are different representations: never each other's tag.
    assert etag_of(head).strip('"') != etag_of(head, "/api/v1/me/visits.ics").removeprefix("W/").strip('"')


def test_only_a_new_publication_changes_the_etag(app, client, published):
    admin, plan = published["admin"], published["plan"]
    cycle_id = published["cycles"][0]
    visit = plan["reviews"][0]
    host = visit["school_urn"]
    head = client.as_(published["heads"][host])
    tags = {urn: etag_of(client.as_(t)) for urn, t in published["heads"].items()}
    assert len(set(tags.values())) == len(tags)  # each school's own

    # A new version that is not published changes nothing a headteacher sees.
    edited = admin.delete(f"/api/v1/cycles/{cycle_id}/plan/visits/{host}")
    assert edited.status_code in (200, 201), edited.json
    assert head.get("/api/v1/me/visits", headers={"If-None-Match": tags[host]}).status_code == 304

    number = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 2}).status_code == 200, number
    answer = head.get("/api/v1/me/visits", headers={"If-None-Match": tags[host]})
    assert answer.status_code == 200 and answer.headers["ETag"] != tags[host]
    assert [v for v in answer.json if v["school_urn"] == host and v["cycle"]["id"] == cycle_id] == []
    assert_same_as_reference(app, client, published["heads"])


def test_etags_are_per_school_and_refused_to_others(app, client, published):
    head = client.as_(published["heads"][published["plan"]["reviews"][0]["school_urn"]])
    tag = etag_of(head)
    assert_error(published["admin"].get("/api/v1/me/visits", headers={"If-None-Match": tag}), 403)
    assert_error(client.get("/api/v1/me/visits", headers={"If-None-Match": tag}), 401)
    # A headteacher of another LA (nothing published there): their own empty answer, not a 304.
    from tiny_scenarios import tiny

    other = client.as_(make_user(app, "officer@800.example", "la_admin", "800"))
    assert other.post("/api/v1/cycles", json=tiny()).status_code == 201
    theirs = client.as_(make_user(app, "head@800.example", "headteacher", "800", "106283"))
    answer = theirs.get("/api/v1/me/visits", headers={"If-None-Match": tag})
    assert answer.status_code == 200 and answer.json == []


# --------------------------------------------------------------------------- the migration


def test_migration_backfills_what_publishing_writes(app, published):
    import flask_migrate

    from service.extensions import db

    columns = (
        "la_id, cycle_id, cycle_name, plan_version_id, version_number, visit_no, member_no, school_urn, "
        "school_id, school_name, school_postcode, date, days, reviewer, role, reviewer_id, reviewer_name, "
        "member_school_id, member_school_urn, member_school_name, distance_km"
    )

    def rows():
        found = db.session.execute(
            sa.text(f"SELECT {columns} FROM published_visits ORDER BY cycle_id, visit_no, member_no")
        ).all()
        las = db.session.execute(sa.text("SELECT la_id FROM published_visit_tags")).scalars().all()
        db.session.remove()
        return [tuple(r) for r in found], las

    with app.app_context():
        written, las = rows()
        assert len(written) == 2 * sum(len(v["team"]) for v in published["plan"]["reviews"]) and len(las) == 1
        flask_migrate.downgrade(revision="a3517261edce-1")  # to before this index
        assert "published_visits" not in sa.inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        assert rows() == (written, las)


def test_bodies_are_kept_by_etag_most_recent_first(app, client, published):
    from service.conditional import BODIES, Bodies

    kept = Bodies()
    for tag in ("a", "b", "c"):
        kept.put(tag, tag.encode(), size=2)
    assert kept.get("a") is None and kept.get("b") == b"b"
    kept.put("d", b"d", size=2)  # "b" was asked for since "c": "c" goes
    assert (kept.get("b"), kept.get("c"), kept.get("d")) == (b"b", None, b"d")

    head = client.as_(published["heads"][published["plan"]["reviews"][0]["school_urn"]])
    first = head.get("/api/v1/me/visits.ics")
    tag = first.headers["ETag"].removeprefix("W/").strip('"')
    assert BODIES.get(tag) == first.data
    assert head.get("/api/v1/me/visits.ics").data == first.data  # the same body, DTSTAMP and all

    app.config["RESPONSE_CACHE_SIZE"] = 0  # nothing kept, nothing read back
    other = client.as_(published["heads"][published["plan"]["reviews"][1]["school_urn"]])
    answer = other.get("/api/v1/me/visits")
    assert answer.status_code == 200 and answer.json
    assert BODIES.get(answer.headers["ETag"].strip('"')) is None
