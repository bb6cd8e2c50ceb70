"""A site of its own for the tests of the plan-changing pages: a migrated SQLite file, the tiny
cycle with a backfill budget for one team (so Well Green, 106288, is left unstaffed), solved,
and an officer, another LA's officer and a headteacher for every school."""

from __future__ import annotations

import time

OFFICER = "officer@trafford.example"
OTHER_LA = "officer@banes.example"
SCHOOLS = ["106283", "106284", "106285", "106288", "106289", "106290"]


def head_email(urn: str) -> str:
    return f"head.{urn}@trafford.example"


def build(path, tiny, **config) -> tuple:
    import flask_migrate

    from service import create_app
    from service.cli import create_user
    from service.extensions import db
    from service.models import LocalAuthority, Solve
    from service.scenario_import import create_cycle
    from service.solves import start_solve

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "REDIS_URL": None,
            "TESTING": True,
            "SECRET_KEY": "test-secret-of-the-page-tests-not-for-production",
            "SOLVE_PROGRESS_INTERVAL_S": 0.2,
            "SOLVE_DEFAULT_TIME_LIMIT_S": 2,
        }
        | config
    )
    with app.app_context():
        flask_migrate.upgrade()
        la = LocalAuthority(code="358", name="Trafford")
        db.session.add(la)
        db.session.flush()
        cycle = create_cycle(la, tiny(backfill_budget=900.0))
        db.session.commit()
        solve = start_solve(cycle, time_limit_s=2)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            solve = db.session.get(Solve, solve.id)
            if solve.status not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert solve.status == "finished", (solve.status, solve.error)
        create_user(OFFICER, "la_admin", "358")
        create_user(OTHER_LA, "la_admin", "800")
        for urn in SCHOOLS:
            create_user(head_email(urn), "headteacher", "358", urn)
        db.session.commit()
        return app, cycle.id
