"""A site of its own for the groups-model pages: a migrated SQLite file whose LA pool has nine
Trafford primaries within a few km, each head able to make two visits (half of them accredited
leads), an adviser who may facilitate, an officer and a headteacher for every school. No cycle:
the tests make them with the form."""

from __future__ import annotations

OFFICER = "officer@trafford.example"
SCHOOLS = [
    ("106283", "Navigation Primary School", "Altrincham", 53.39631, -2.34818, 420),
    ("106284", "Stamford Park Infant School", "Altrincham", 53.38571, -2.33838, 180),
    ("106285", "Stamford Park Junior School", "Altrincham", 53.38592, -2.33768, 240),
    ("106288", "Well Green Primary School", "Sale", 53.40280, -2.32770, 210),
    ("106289", "Broadheath Primary School", "Sale", 53.40213, -2.36054, 630),
    ("106290", "Oldfield Brow Primary School", "Sale", 53.39530, -2.37140, 210),
    ("106291", "Park Road Primary School", "Sale", 53.41610, -2.32220, 315),
    ("106292", "Moss Park Junior School", "Urmston", 53.44560, -2.35550, 360),
    ("106293", "Woodheys Primary School", "Sale", 53.41650, -2.34350, 420),
]
HEAD_URN = "106288"


def head_email(urn: str) -> str:
    return f"head.{urn}@trafford.example"


def build(path, **config):
    import flask_migrate

    from service import create_app
    from service.cli import create_user
    from service.extensions import db
    from service.models import LocalAuthority
    from service.scenario_import import upsert_reviewer, upsert_school

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "REDIS_URL": None,
            "TESTING": True,
            "SECRET_KEY": "test-secret-of-the-page-tests-not-for-production",
            "SOLVE_PROGRESS_INTERVAL_S": 0.2,
            "SOLVE_DEFAULT_TIME_LIMIT_S": 5,
        }
        | config
    )
    with app.app_context():
        flask_migrate.upgrade()
        la = LocalAuthority(code="358", name="Trafford")
        db.session.add(la)
        db.session.flush()
        schools = {}
        for urn, name, cluster, lat, lon, pupils in SCHOOLS:
            schools[urn] = upsert_school(
                la,
                {"urn": urn, "name": name, "la_code": "358", "phase": "primary", "cluster": cluster}
                | {"lat": lat, "lon": lon, "pupils": pupils},
            )
        db.session.flush()
        for i, (urn, *_rest) in enumerate(SCHOOLS):
            upsert_reviewer(
                la,
                {"id": f"h-{urn}", "name": f"Head of {schools[urn].name}", "school_urn": urn}
                | {"lead_accredited": i % 2 == 0, "max_reviews": 2, "day_rate": 400.0 + 10 * i},
                schools,
            )
        upsert_reviewer(
            la,
            {"id": "f-01", "name": "Fran Facilitator", "role": "adviser", "lead_accredited": True}
            | {"max_reviews": 6, "day_rate": 550.0, "phases": ["primary"]},
            schools,
        )
        create_user(OFFICER, "la_admin", "358")
        for urn, *_rest in SCHOOLS:
            create_user(head_email(urn), "headteacher", "358", urn)
        db.session.commit()
    return app
