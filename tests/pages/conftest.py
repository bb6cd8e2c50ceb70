"""Fixtures of the page tests: one migrated SQLite database with the tiny cycle solved and
published, users of both roles, and helpers to sign in with a one-time link.

The data is built once per session (a solve takes a second); tests that change it
(publish, lock, declare) undo what they change or only add.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

# The tests' helper modules: ours beside this file, the tiny scenario beside the API tests.
# Appended, not put first: other test folders import their own `conftest` by name from
# the front of sys.path, and this folder has one too.
sys.path.append(os.path.dirname(__file__))
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(__file__)), "service"))

from pagehelpers import (  # noqa: E402
    HEAD_EMAIL,
    HEAD_REVIEWER,
    HEAD_URN,
    OFFICER_EMAIL,
    OTHER_EMAIL,
    OTHER_LA_EMAIL,
    OTHER_URN,
)
from tiny_scenarios import tiny  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The app on a migrated SQLite file, the tiny cycle solved twice (v1 published, v2 proposed)."""
    import flask_migrate

    from service import create_app
    from service.cli import create_user
    from service.extensions import db
    from service.models import LocalAuthority, Solve
    from service.plans import get_version, publish
    from service.scenario_import import create_cycle
    from service.solves import start_solve

    path = tmp_path_factory.mktemp("pages") / "service.sqlite3"
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "REDIS_URL": None,
        "TESTING": True,
        "SECRET_KEY": "test-secret-of-the-page-tests-not-for-production",
        "SOLVE_PROGRESS_INTERVAL_S": 0.2,
    }
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        la = LocalAuthority(code="358", name="Trafford")
        db.session.add(la)
        db.session.flush()
        cycle = create_cycle(la, tiny())
        db.session.commit()

        def solve():
            s = start_solve(cycle, time_limit_s=2)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db.session.expire_all()
                s = db.session.get(Solve, s.id)
                if s.status not in ("queued", "running"):
                    break
                time.sleep(0.05)
            assert s.status == "finished", (s.status, s.error)

        solve()
        publish(cycle, get_version(cycle, 1))
        db.session.commit()
        # A proposal (v2) to compare with the published plan: the other member of the team
        # that visits with the head's reviewer is now away that day, so the diff has a change
        # whose cause (from today's data, as the page computes it) names that.
        from service.models import Reviewer

        v1 = get_version(cycle, 1).plan
        visit = next(v for v in v1["reviews"] if any(m["reviewer"] == HEAD_REVIEWER for m in v["team"]))
        other = next(m["reviewer"] for m in visit["team"] if m["reviewer"] != HEAD_REVIEWER)
        away = db.session.scalar(db.select(Reviewer).where(Reviewer.ext_id == other))
        away.unavailable = [visit["date"]]
        db.session.commit()
        solve()
        create_user(OFFICER_EMAIL, "la_admin", "358")
        create_user(OTHER_LA_EMAIL, "la_admin", "800")
        create_user(HEAD_EMAIL, "headteacher", "358", HEAD_URN)
        create_user(OTHER_EMAIL, "headteacher", "358", OTHER_URN)
        db.session.commit()
        cycle_id = cycle.id
    return {"app": app, "cycle_id": cycle_id}


@pytest.fixture(scope="session")
def app(site):
    return site["app"]


@pytest.fixture(scope="session")
def cycle_id(site):
    return site["cycle_id"]


@pytest.fixture(scope="module")
def smtp_sink():
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives."""
    from mailhelpers import SMTPSink

    sink = SMTPSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def empty_la(tmp_path_factory, smtp_sink):
    """A new LA's first day: a migrated SQLite database with Trafford (358) and nothing in its pool,
    its officer, and an officer of another LA (800); mail goes to `smtp_sink`."""
    import flask_migrate

    from service import create_app
    from service.cli import create_user
    from service.extensions import db
    from service.models import LocalAuthority

    path = tmp_path_factory.mktemp("empty-la") / "service.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "REDIS_URL": None,
            "TESTING": True,
            "SECRET_KEY": "test-secret-of-the-page-tests-not-for-production",
            "SOLVE_PROGRESS_INTERVAL_S": 0.2,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_sink.port,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add_all([LocalAuthority(code="358", name="Trafford"), LocalAuthority(code="800", name="BANES")])
        db.session.flush()
        create_user(OFFICER_EMAIL, "la_admin", "358")
        create_user(OTHER_LA_EMAIL, "la_admin", "800")
        db.session.commit()
    return app
