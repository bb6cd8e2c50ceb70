"""The scheduling service: a Flask app (`flask --app service ...`)."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event

from solver.plan import PlanSchema
from solver.scenario import ScenarioSchema

from . import api_docs, cli, errors, health, limits, logs, metrics, pages, request_limits, secret_key
from . import config as config_module
from .extensions import db, make_api, migrate
from .resources.blueprints import register_blueprints

# Alembic's scripts live beside the package, at the repository's root.
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides what `service.config` reads from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    # First of all: URL converters before any route, body limits before any hook reads a body.
    request_limits.install_converters(app)
    request_limits.init_app(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.from_environment(app.instance_path))
    app.config.update(config or {})
    secret_key.ensure(app)
    if app.config.get("LOG_FORMAT") == "json":
        logs.configure("json")
    logs.protect(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    # One Api (and OpenAPI document) per app: tests build many apps in one process.
    api = make_api(app)
    register_blueprints(api)
    _document_scenario(api)
    errors.register(app)
    health.register(app)
    metrics.register(app)
    cli.register(app)
    pages.init_app(app)
    limits.init_app(app)
    api_docs.init_app(app)
    return app


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets the in-process solve thread write progress while requests read;
    # SQLite leaves foreign keys (and so ON DELETE CASCADE) off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _document_scenario(api) -> None:
    """Put the solver's scenario and plan schemas in the OpenAPI document (the API speaks them as is)."""
    api.spec.components.schema("Scenario", schema=ScenarioSchema)
    api.spec.components.schema("Plan", schema=PlanSchema)
