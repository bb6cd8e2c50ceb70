"""Shared fixtures: real PostgreSQL and Redis on localhost, a migrated database per backend.

A missing server skips its tests on a developer's machine and fails them under CI
(`CI=true`), where .ci/run has started both.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import is_hypothesis_test

POSTGRES_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Outside testing the app refuses to start without a real signing key (service/secret_key.py), as
# a deployment would: apps built without TESTING, worker and CLI subprocesses get this one.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))


# Whole files that are slow by nature: a real browser, RQ worker subprocesses, deployment.
SLOW_PATHS = ("tests/pages/test_browser.py", "tests/worker/")
# Single slow tests in files that are otherwise quick (named here so their owners' files stay
# untouched; a renamed test merely runs in the fast subset again): a ten-second solve of 140
# schools, and the demo end to end in a subprocess.
SLOW_TESTS = {
    "tests/solver/test_solver.py::test_visits_spread_over_the_term",
    "tests/service/test_cli_docs_health.py::test_demo_serves_a_solved_cycle_and_both_tokens_work",
}


def pytest_collection_modifyitems(config, items):
    """Mark as `slow` what `make test-fast` (`-m "not slow"`) leaves out: the PostgreSQL + RQ
    backend (SQLite runs the same tests in-process), the browser, the worker and deployment
    tests, and property tests (many examples, each a solve)."""
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        callspec = getattr(item, "callspec", None)
        if (
            where.startswith(SLOW_PATHS)
            or f"{where}::{item.originalname}" in SLOW_TESTS
            or (callspec is not None and callspec.params.get("backend") == "postgresql")
            or is_hypothesis_test(getattr(item, "obj", None))
        ):
            item.add_marker(pytest.mark.slow)


def missing(what: str, why: BaseException):
    message = f"{what} is not reachable: {type(why).__name__}: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: the service must be running)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url():
    """A URL to a fresh schema of the `test` database, dropped at the end of the session."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_BASE)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        engine.dispose()
        missing("PostgreSQL at " + POSTGRES_BASE, exc)
    # Every connection (the app's, Alembic's, a worker subprocess's) lands in the schema.
    yield f"{POSTGRES_BASE}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url():
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        missing("Redis at " + REDIS_URL, exc)
    return REDIS_URL


def migrate(config: dict) -> None:
    """Bring the database to the current schema with the project's own migrations."""
    import flask_migrate

    from service import create_app

    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        from service.extensions import db

        db.engine.dispose()


def empty_tables(app) -> None:
    from service.extensions import db

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
                for table in reversed(tables):
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))
                conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        db.session.remove()
        # Close the app's pooled connections now: every test builds an app, and the idle pools of
        # finished ones would otherwise hold PostgreSQL's connections (shared, 100 at most).
        db.engine.dispose()


class RQWorker:
    """A real `rq worker` subprocess on its own queue, with the service's environment."""

    def __init__(self, env: dict, queue: str):
        self.queue = queue
        self.env = env
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rq.cli",
                "worker",
                "--url",
                self.env["REDIS_URL"],
                "--worker-ttl",
                "30",
                "--name",
                f"test-{self.queue}",
                self.queue,
            ],
            env=self.env,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    """Configuration of one storage backend, migrated: SQLite + in-process jobs, or PostgreSQL + RQ."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "service.sqlite3"
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "REDIS_URL": None}
        env = {"DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"]}
    else:
        pg = request.getfixturevalue("postgres_url")
        redis = request.getfixturevalue("redis_url")
        queue = f"test-solves-{uuid.uuid4().hex[:8]}"
        config = {"SQLALCHEMY_DATABASE_URI": pg, "REDIS_URL": redis, "SOLVE_QUEUE": queue}
        env = {"DATABASE_URL": pg, "REDIS_URL": redis, "SOLVE_QUEUE": queue}
    config["SOLVE_PROGRESS_INTERVAL_S"] = 0.2
    env["SOLVE_PROGRESS_INTERVAL_S"] = "0.2"
    migrate(config)
    worker = None
    if config["REDIS_URL"]:
        worker_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        worker = RQWorker(worker_env | env, config["SOLVE_QUEUE"]).start()
    yield {"name": request.param, "config": config, "env": env}
    if worker:
        worker.stop()


@pytest.fixture
def app(backend, monkeypatch):
    """The app on one backend, with empty tables; the environment says the same as the config,
    so that anything that builds its own app (a job) finds the same database and queue."""
    from service import create_app

    for key in ("DATABASE_URL", "REDIS_URL", "SOLVE_QUEUE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in backend["env"].items():
        monkeypatch.setenv(key, value)
    app = create_app(backend["config"] | {"TESTING": True})
    yield app
    wait_for_solves(app)
    empty_tables(app)


def wait_for_solves(app, timeout: float = 30.0) -> None:
    """Let running solves end (cancelling them) before the tables are emptied under them."""
    from service.extensions import db
    from service.models import ACTIVE_SOLVE_STATES, Solve

    deadline = time.monotonic() + timeout
    with app.app_context():
        db.session.execute(sa.update(Solve).where(Solve.status.in_(ACTIVE_SOLVE_STATES)).values(cancel_requested=True))
        db.session.commit()
        while time.monotonic() < deadline:
            if not db.session.scalar(
                sa.select(sa.func.count()).select_from(Solve).where(Solve.status.in_(ACTIVE_SOLVE_STATES))
            ):
                return
            db.session.rollback()
            time.sleep(0.1)
