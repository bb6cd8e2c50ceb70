"""`python -m service.demo`: a working service with a real LA in it, in one command.

On the embedded defaults (SQLite in the instance folder, solves in-process) it
brings the database to the current schema, loads Trafford (LA 358) from the
real GIAS-derived school list shipped in `service/data/`, invents its reviewers
and a cycle for next term, solves and publishes the cycle, prints two tokens (an LA
officer's and a headteacher's) and serves the API on http://127.0.0.1:5000.
Running it again reuses what is there and prints fresh tokens.

The schools are real (Open Government Licence v3, see service/data/README.md);
the reviewers, reviews, budgets and support requests are made up, from a fixed
seed, and named after roles rather than people.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import sys
import time
from importlib import resources

import flask_migrate

from . import create_app, mail, publication
from .cli import create_user
from .extensions import db
from .imports import import_schools
from .models import ACTIVE_SOLVE_STATES, Cluster, Cycle, LocalAuthority, School, Solve, SolveStatus, User
from .pages.signin import issue_login_link, login_url
from .plans import get_version
from .scenario_import import create_cycle, named
from .solves import start_solve

LA_CODE, LA_NAME = "358", "Trafford"
DEMO_MARK = "(demo)"
OFFICER = "commissioning@trafford.example"
DATA_FILE = "trafford_schools_and_colleges_20240926.csv"

# Trafford's four localities, by postcode district.
LOCALITIES = {
    "WA14": "Altrincham",
    "WA15": "Altrincham",
    "M33": "Sale",
    "M41": "Urmston",
    "M31": "Urmston",
    "M32": "Stretford",
    "M16": "Stretford",
    "M15": "Stretford",
}
SPECIALISMS = ["maths", "reading", "send", "early-years", "behaviour", "curriculum", "leadership", "science"]


def next_term(today: dt.date) -> tuple[str, dt.date, dt.date, list[dt.date]]:
    """The next English school term that starts after `today`: name, first and last day, half term.

    Approximate dates (LAs set their own), good enough for a demo that must not
    be over before anyone looks at it.
    """

    def monday(d: dt.date) -> dt.date:
        return d + dt.timedelta(days=(7 - d.weekday()) % 7)

    for year in (today.year, today.year + 1):
        terms = [
            (f"Spring {year}", monday(dt.date(year, 1, 4)), 12, 6),
            (f"Summer {year}", monday(dt.date(year, 4, 15)), 13, 5),
            (f"Autumn {year}", monday(dt.date(year, 9, 2)), 15, 7),
        ]
        for name, start, weeks, half_term_week in terms:
            if start > today:
                end = start + dt.timedelta(weeks=weeks - 1, days=4)
                half = start + dt.timedelta(weeks=half_term_week)
                return name, start, end, [half + dt.timedelta(days=i) for i in range(5)]
    raise AssertionError("unreachable")


REVIEWED_TYPES = {"Local authority maintained schools", "Academies", "Special schools", "Free Schools"}


def school_rows() -> list[dict]:
    text = resources.files("service.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def build_scenario(schools, today: dt.date | None = None) -> dict:
    """A cycle for the LA's state schools next term: reviewers from each, a third of them reviewed."""
    rng = random.Random(358)  # nosec B311 # a seeded demo LA (the same every run), nothing secret
    term, start, end, half_term = next_term(today or dt.date.today())
    term_days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    rows = {r["unique_reference_number"]: r for r in school_rows()}
    state = [s for s in schools if rows.get(s.urn, {}).get("type") in REVIEWED_TYPES and s.phase]
    reviewers = []
    for i, s in enumerate(state):
        reviewers.append(
            {
                "id": f"trf-{s.urn}",
                "name": f"Headteacher, {s.name}",
                "school_urn": s.urn,
                "role": "headteacher",
                "lead_accredited": rng.random() < 0.5,
                "specialisms": sorted(rng.sample(SPECIALISMS, rng.choice([1, 2, 2, 3]))),
                "max_reviews": rng.choice([1, 1, 2]),
                "day_rate": float(rng.choice([380, 420, 450, 480, 520, 550])),
                "unavailable": sorted({rng.choice(term_days).isoformat() for _ in range(rng.randint(0, 4))}),
            }
        )
        if i % 4 == 0:  # a deputy from every fourth school
            reviewers.append(
                {
                    "id": f"trf-{s.urn}-d",
                    "name": f"Deputy head, {s.name}",
                    "school_urn": s.urn,
                    "role": "deputy",
                    "lead_accredited": False,
                    "specialisms": sorted(rng.sample(SPECIALISMS, 2)),
                    "max_reviews": 1,
                    "day_rate": 360.0,
                    "unavailable": [],
                }
            )
    for k in range(1, 4):
        reviewers.append(
            {
                "id": f"trf-adviser-{k}",
                "name": f"School improvement adviser {k}",
                "role": "adviser",
                "lead_accredited": True,
                "specialisms": sorted(rng.sample(SPECIALISMS, 3)),
                "max_reviews": 3,
                "day_rate": 600.0,
                "unavailable": [],
            }
        )
    to_review = rng.sample(state, max(1, len(state) // 3))
    reviews = [
        {
            "school_urn": s.urn,
            "priority": rng.choice([1, 1, 2, 3]),
            "focus": sorted(rng.sample(SPECIALISMS, rng.choice([1, 2]))),
        }
        for s in to_review
    ]
    providers = rng.sample([s for s in state if s not in to_review], 3)
    requesters = rng.sample(to_review, 4)
    used = {r["school_urn"] for r in reviewers if r.get("school_urn")} | {s.urn for s in state}
    return {
        "version": 1,
        "cycle": {
            "name": f"{term} peer review {DEMO_MARK}",
            "window": {"start": start.isoformat(), "end": end.isoformat()},
            "excluded_dates": [d.isoformat() for d in half_term],
            "team_size": 3,
            "backfill_budget": 45000.0,
            "cluster_budgets": {"Altrincham": 15000.0},
            "support_budget": 12000.0,
            "policy": {"same_cluster": "forbid", "max_travel_km": 15.0},
        },
        "schools": [
            {
                k: v
                for k, v in {
                    "urn": s.urn,
                    "name": s.name,
                    "la_code": s.la_code,
                    "phase": s.phase,
                    "cluster": s.cluster.name if s.cluster else None,
                    "trust": s.trust.name if s.trust else None,
                    "lat": s.lat,
                    "lon": s.lon,
                }.items()
                if v is not None
            }
            for s in schools
            if s.urn in used
        ],
        "reviewers": reviewers,
        "reviews": reviews,
        "conflicts": [],
        "history": [],
        "support": {
            "requests": [
                {
                    "id": f"s-{i + 1:02d}",
                    "school_urn": s.urn,
                    "days": rng.choice([2, 3, 4]),
                    "focus": [rng.choice(SPECIALISMS)],
                    "priority": 1,
                }
                for i, s in enumerate(requesters)
            ],
            "providers": [
                {
                    "id": f"p-{i + 1:02d}",
                    "school_urn": s.urn,
                    "capacity_days": 6,
                    "day_rate": 400.0,
                    "specialisms": sorted(rng.sample(SPECIALISMS, 3)),
                }
                for i, s in enumerate(providers)
            ],
        },
    }


def load_la():
    """Trafford's schools (with clusters) and a demo cycle; returns the cycle."""
    la = db.session.scalar(db.select(LocalAuthority).where(LocalAuthority.code == LA_CODE))
    if la is None:
        la = LocalAuthority(code=LA_CODE, name=LA_NAME)
        db.session.add(la)
        db.session.flush()
    cycle = db.session.scalar(
        db.select(Cycle).where(Cycle.la_id == la.id, Cycle.name.endswith(DEMO_MARK)).order_by(Cycle.id.desc()).limit(1)
    )
    if cycle is not None:
        return cycle
    raw = resources.files("service.data").joinpath(DATA_FILE).read_bytes()
    result = import_schools(la, raw, "trafford")
    print(f"  imported {result['created'] + result['updated']} Trafford schools from {DATA_FILE}")
    rows = {r["unique_reference_number"]: r for r in school_rows()}
    schools = list(db.session.scalars(db.select(School).where(School.la_id == la.id).order_by(School.urn)))
    for s in schools:
        district = (rows[s.urn]["postcode"] or "").split(" ")[0]
        s.postcode = rows[s.urn]["postcode"] or None
        s.cluster = named(Cluster, la.id, LOCALITIES.get(district))
    db.session.flush()
    cycle = create_cycle(la, build_scenario(schools))
    db.session.commit()
    print(f"  created cycle {cycle.id}: {cycle.name}, {cycle.window_start} to {cycle.window_end}")
    return cycle


def solve_and_publish(app, cycle) -> None:
    if cycle.published_version_id:
        return
    solve = start_solve(cycle, time_limit_s=float(os.environ.get("DEMO_TIME_LIMIT_S", "20")))
    print(f"  solving cycle {cycle.id} (solve {solve.id}) ", end="", flush=True)
    while True:
        time.sleep(1)
        db.session.expire_all()
        solve = db.session.get(Solve, solve.id)
        if solve.status not in ACTIVE_SOLVE_STATES:
            break
        print(".", end="", flush=True)
    print(f" {solve.status}")
    if solve.status not in (SolveStatus.FINISHED, SolveStatus.CANCELLED):
        raise SystemExit(f"the demo solve {solve.status}: {solve.error}")
    version = get_version(cycle)
    publication.publish(cycle, version)
    db.session.commit()
    plan = version.plan
    print(
        f"  published plan version {version.number}: {len(plan['reviews'])} visits staffed, "
        f"{len(plan['unstaffed'])} unstaffed, objective {plan['objective']}"
    )


def tokens(cycle) -> tuple[str, str, str]:
    officer_token = create_user(OFFICER, "la_admin", LA_CODE)[1]
    plan = cycle.published_version.plan if cycle.published_version else {"reviews": []}
    # Prefer a school that is visited and whose own head visits another school.
    reviewing = {m["reviewer"].removeprefix("trf-") for v in plan["reviews"] for m in v["team"]}
    hosting = [v["school_urn"] for v in plan["reviews"]]
    urn = next((u for u in hosting if u in reviewing), hosting[0] if hosting else None)
    school = (
        db.session.scalar(db.select(School).where(School.la_id == cycle.la_id, School.urn == urn))
        if urn
        else db.session.scalar(db.select(School).where(School.la_id == cycle.la_id).limit(1))
    )
    head_token = create_user(f"head.{school.urn}@trafford.example", "headteacher", LA_CODE, school.urn)[1]
    db.session.commit()
    return officer_token, head_token, f"{school.name} ({school.urn})"


def sign_in_links(cycle, base_url: str) -> tuple[str, str]:
    """One-time links to the pages for the officer and the demo headteacher."""
    officer = db.session.scalar(db.select(User).where(User.email == OFFICER))
    head = db.session.scalar(
        db.select(User)
        .where(User.role == "headteacher", User.la_id == cycle.la_id, User.email.like("head.%@trafford.example"))
        .order_by(User.id.desc())
        .limit(1)
    )
    tokens = [issue_login_link(officer, 60), issue_login_link(head, 60)]
    db.session.commit()
    return tuple(login_url(t, base_url) for t in tokens)


def mail_destination(config) -> str:
    """Where the mails of a publication go, in words (the demo has no mail server unless told)."""
    backend = mail.backend(config)
    if backend == "smtp":
        return f"SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    if backend == "notify":
        return "GOV.UK Notify"
    return f"written as .eml files to {config['MAIL_FOLDER']} (set MAIL_SERVER or NOTIFY_API_KEY to send them)"


def main(argv=None) -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    # The demo serves plain http, so the pages' session cookie cannot be HTTPS-only here.
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("PUBLIC_URL", f"http://{host}:{port}")  # the link in headteachers' mails
    # No SECRET_KEY configured: the demo makes a random one and keeps it in instance/ (so its
    # sessions survive a restart, and `flask --app service users login-link` signs with it too).
    app = create_app({"MAKE_INSTANCE_KEY": True})
    with app.app_context():
        print(f"database: {app.config['SQLALCHEMY_DATABASE_URI']}")
        flask_migrate.upgrade()
        cycle = load_la()
        solve_and_publish(app, cycle)
        officer, head, school = tokens(cycle)
        cycle_id = cycle.id
        officer_link, head_link = sign_in_links(cycle, f"http://{host}:{port}")
        mails = mail_destination(app.config)
    url = f"http://{host}:{port}"
    print(
        f"""
The peer review service is running at {url}
  API documentation:  {url}/api/docs
  LA officer token ({OFFICER}):
    {officer}
  Headteacher token ({school}):
    {head}

In a browser (each link signs in once, within an hour):
  LA officer:   {officer_link}
  Headteacher:  {head_link}
  New links:    flask --app service users login-link --email {OFFICER}

Mails to headteachers when a plan is published: {mails}

Try:
  curl -H 'Authorization: Bearer {officer}' {url}/api/v1/cycles/{cycle_id}/plan
  curl -H 'Authorization: Bearer {head}' {url}/api/v1/me/visits
""",
        flush=True,
    )
    if "--no-serve" in (argv if argv is not None else sys.argv[1:]):
        return 0
    app.run(host=host, port=port, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
