"""Fixtures of the worker tests: PostgreSQL + Redis (tests/conftest.py), real `python -m worker`
subprocesses on queues of their own, and cycles created through the API."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

# The tests' helper module sits beside this file (tests/ has no packages); appended, so
# that this folder's conftest never shadows another's.
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _root_conftest():
    # tests/conftest.py's helpers; pytest (importlib mode) has loaded it under its own name.
    return next(
        m
        for name, m in sys.modules.items()
        if name.endswith("conftest") and hasattr(m, "empty_tables") and hasattr(m, "migrate")
    )


@pytest.fixture(scope="session")
def stack(postgres_url, redis_url):
    """Configuration and environment of a migrated PostgreSQL schema and fresh queue names."""
    suffix = uuid.uuid4().hex[:8]
    config = {
        "SQLALCHEMY_DATABASE_URI": postgres_url,
        "REDIS_URL": redis_url,
        "SOLVE_QUEUE": f"wt-solves-{suffix}",
        "NIGHTLY_QUEUE": f"wt-nightly-{suffix}",
        "SOLVE_PROGRESS_INTERVAL_S": 0.2,
        "SOLVE_HEARTBEAT_S": 0.5,
        "SOLVER_WORKERS": 1,
    }
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "SOLVE_QUEUE": config["SOLVE_QUEUE"],
        "NIGHTLY_QUEUE": config["NIGHTLY_QUEUE"],
        "SOLVE_PROGRESS_INTERVAL_S": "0.2",
        "SOLVE_HEARTBEAT_S": "0.5",
        "SOLVER_WORKERS": "1",
        "LOG_FORMAT": "json",
    }
    _root_conftest().migrate(config)
    return {"config": config, "env": env}


@pytest.fixture
def app(stack, monkeypatch):
    from service import create_app

    for key, value in stack["env"].items():
        monkeypatch.setenv(key, value)
    app = create_app(stack["config"] | {"TESTING": True})
    yield app
    _cancel_active(app)
    _root_conftest().empty_tables(app)


def _cancel_active(app, timeout=20.0):
    import sqlalchemy as sa

    from service.extensions import db
    from service.models import ACTIVE_SOLVE_STATES, Solve

    with app.app_context():
        db.session.execute(sa.update(Solve).where(Solve.status.in_(ACTIVE_SOLVE_STATES)).values(cancel_requested=True))
        db.session.commit()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and db.session.scalar(
            sa.select(sa.func.count()).select_from(Solve).where(Solve.status.in_(ACTIVE_SOLVE_STATES))
        ):
            db.session.rollback()
            time.sleep(0.1)
        db.session.remove()


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (children first found, grandchildren after)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    # The command name may hold spaces; ppid is the second field after its ")".
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, frontier = [], [pid]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier]
        out += children
        frontier = children
    return out


class WorkerProcess:
    """`python -m worker` in its own process group (so a test can kill it and its work horse)."""

    def __init__(self, env: dict, log_path: str):
        self.env, self.log_path, self.proc = env, log_path, None

    def start(self, *args):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "worker", "--sweep-interval", "1", *args],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill_all(self):
        """SIGKILL to the worker and its work horse at once, as a lost machine or the OOM killer would.

        The horse is in a session of its own (RQ calls setsid), so killing the group is not enough."""
        family = [self.proc.pid, *descendants(self.proc.pid)]
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.horses = family[1:]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # Warm first: an idle worker leaves at once and gives up its scheduler lock, which a
            # killed one would hold for a minute (delaying the next test's retries).
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        if self.proc and self.proc.poll() is None:
            for pid in [self.proc.pid, *descendants(self.proc.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()

    def output(self) -> str:
        with open(self.log_path, "rb") as fh:
            return fh.read().decode(errors="replace")


@pytest.fixture
def workers(stack, tmp_path):
    """Start workers with `workers()`; all are killed at the end of the test."""
    started = []
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}

    def start(*args, env=None):
        w = WorkerProcess(base | stack["env"] | (env or {}), str(tmp_path / f"worker-{len(started)}.log")).start(*args)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


class Api:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        call = getattr(self.client, method)
        return lambda path, **kw: call(path, headers=self.headers, **kw)


@pytest.fixture
def admin(app):
    from service.cli import create_user
    from service.extensions import db

    with app.app_context():
        _, token = create_user("officer@la.example", "la_admin", "900")
        db.session.commit()
    return Api(app.test_client(), token)
