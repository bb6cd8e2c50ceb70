"""The Flask extensions, created once and bound in `create_app`."""

import re

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Explicit constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
Base.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def flatten_errors(errors, prefix="") -> dict[str, list[str]]:
    """{"cycle": {"window": {"start": [...]}}} -> {"cycle.window.start": [...]}.

    Validation errors name each bad field by its JSON path, the same way the
    scenario validator does (`reviewers[3].school_urn`).
    """
    if isinstance(errors, dict):
        out: dict[str, list[str]] = {}
        for key, value in errors.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for p, msgs in flatten_errors(value, path).items():
                out.setdefault(p, []).extend(msgs)
        return out
    if isinstance(errors, (list, tuple)):
        if all(isinstance(e, str) for e in errors):
            return {prefix or "_schema": list(errors)}
        out = {}
        for item in errors:
            for p, msgs in flatten_errors(item, prefix).items():
                out.setdefault(p, []).extend(msgs)
        return out
    return {prefix or "_schema": [str(errors)]}


class Api(_Api):
    """flask-smorest's Api with one error shape for every error.

    Always `{"code", "status", "message", "errors"}`; webargs' per-location
    errors ({"json": {...}, "query": {...}}) become flat paths, body fields
    bare (`cycle.window.start`) and other locations prefixed (`query.version`).
    """

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        errors = payload.get("errors") or {}
        if isinstance(errors, dict) and set(errors) <= {
            "json",
            "query",
            "form",
            "files",
            "headers",
            "view_args",
            "path",
        }:
            flat = {}
            for location, errs in errors.items():
                flat.update(flatten_errors(errs, "" if location in ("json", "form") else location))
            errors = flat
        else:
            errors = flatten_errors(errors) if errors else {}
        payload["errors"] = errors
        payload.setdefault("message", _default_message(code, errors, getattr(error, "description", "")))
        return payload, code, headers


def _default_message(code, errors, description) -> str:
    if code == 422 and errors:
        return f"{len(errors)} invalid field(s): " + ", ".join(sorted(errors)[:10])
    return re.sub(r"\s+", " ", description or "").strip()


def schema_name(schema) -> str:
    """OpenAPI component names: the class name, marked for the solver's contract and for
    partial (PATCH) variants, so that no two schemas compete for one name."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if cls.__module__.startswith("solver."):
        name = "Scenario" + name if name != "Scenario" else name
    if getattr(schema, "partial", False):
        name += "Patch"
    return name


def make_api(app) -> Api:
    return Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
