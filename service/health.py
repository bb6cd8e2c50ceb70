"""Liveness and readiness probes (no auth: load balancers call them)."""

import sqlalchemy as sa
from flask import current_app
from redis import Redis

from .extensions import db


def register(app):
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        checks, ok = {}, True
        try:
            db.session.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"], ok = f"error: {type(exc).__name__}", False
        finally:
            db.session.rollback()
        if current_app.config.get("REDIS_URL"):
            try:
                Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"], ok = f"error: {type(exc).__name__}", False
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
