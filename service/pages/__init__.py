"""Server-rendered pages for headteachers and the LA team (Jinja, a cookie session, CSRF on every form).

`init_app` wires them into the app: CSRF protection for everything but the bearer-token JSON
API (no cookies there, so nothing for a forged request to ride on), session cookie flags,
and the `pages` blueprint. The views call the same domain modules as the API.
"""

from __future__ import annotations

import os

from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

# Imported for what importing them does: each adds its routes to `bp` (signin its CLI commands).
from . import cycle_form, fairness, plan_changes, pool, signin, ui, views  # noqa: F401
from .blueprint import bp

csrf = CSRFProtect()


def init_app(app) -> None:
    # GOV.UK Frontend's macros, imported in templates as "govuk_frontend_jinja/components/…".
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]
    )

    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # The session cookie only travels over HTTPS, except while developing and testing
    # (plain http on localhost) or where the environment says so (the demo, also plain http).
    secure = os.environ.get("SESSION_COOKIE_SECURE", "1").lower() not in ("0", "false", "no")
    app.config["SESSION_COOKIE_SECURE"] = secure and not (app.debug or app.testing)
    # The CSRF token lives as long as the session, not one hour: a form left open over
    # lunch should still submit.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.register_blueprint(bp)
    for blueprint in list(app.blueprints.values()):
        if (blueprint.url_prefix or "").startswith("/api"):
            csrf.exempt(blueprint)
