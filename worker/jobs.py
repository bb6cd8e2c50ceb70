"""Jobs, named by dotted path (`worker.jobs.solve_cycle`) by the service.

A job translates, calls and stores; the rules live in `service` (scenario
builder, plan versions, solve states, the nightly proposal) and in `solver`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time

from flask import current_app, has_app_context
from rq import Retry, get_current_job

from service import create_app, nightly, solve_lifecycle, solves, what_ifs
from service.extensions import db
from service.scenario import build_scenario

from . import fanout
from .heartbeat import beating
from .transient import is_transient

log = logging.getLogger(__name__)

_APP = None
_APP_PID = None

# Waits before the retries of a job whose database or Redis connection failed.
RETRY_INTERVALS_S = [5, 30, 120]


def _app():
    """This process's own app. RQ forks a work horse per job; a forked child must not use the
    connections its parent's pool holds (both would talk on one socket), so it drops them."""
    global _APP, _APP_PID
    if _APP is None:
        _APP, _APP_PID = create_app(), os.getpid()
    elif os.getpid() != _APP_PID:
        with _APP.app_context():
            db.engine.dispose(close=False)
        _APP_PID = os.getpid()
    return _APP


def app_context():
    """The running app's context (in-process thread) or this worker process's own app."""
    if has_app_context():
        return contextlib.nullcontext(current_app)
    return _app().app_context()


def _current_rq_job():
    try:
        return get_current_job()
    except Exception:
        return None


def solve_cycle(solve_id: str) -> int | None:
    """Solve one cycle and store the plan as a new version; returns its number."""
    return _run(solve_id)


def reoptimise_cycle(solve_id: str, night: str) -> int | None:
    """The night's re-optimisation of one live cycle: a proposed version, or None if nothing changes."""
    return _run(solve_id, night=dt.date.fromisoformat(night))


def _run(solve_id: str, night: dt.date | None = None):
    job = _current_rq_job()
    with app_context():
        config = current_app.config
        try:
            with beating(job.connection if job else None, solves.heartbeat_key(solve_id), config["SOLVE_HEARTBEAT_S"]):
                solve = solves.begin(solve_id, resume=bool(job and job.number_of_retries))
                if solve is None:  # cancelled while queued, or already taken
                    return None
                started = time.monotonic()
                cycle = solve.cycle
                base_version_id = cycle.published_version_id
                if night:
                    scenario = nightly.night_scenario(cycle, night)
                elif solve.kind == what_ifs.KIND:
                    scenario = what_ifs.scenario_for(solve)
                else:
                    scenario = build_scenario(cycle)
                progress = solves.ProgressReporter(solve_id, job=job)
                with solves.cancel_watch(solve_id, threading.Event()) as stop:
                    # Over the idle workers when there are any (fanout.py); else solver.solve.
                    plan = fanout.solve(
                        scenario,
                        connection=job.connection if job else None,
                        queue_name=job.origin if job else None,
                        time_limit=solve.time_limit_s,
                        workers=config["SOLVER_WORKERS"],
                        on_progress=progress,
                        stop=stop,
                    )
                progress.flush()
                elapsed = time.monotonic() - started
                if night:
                    version = nightly.propose(
                        solve_id, scenario, plan, base_version_id=base_version_id, elapsed_s=elapsed
                    )
                elif solve.kind == what_ifs.KIND:  # a draft on the what-if, no version
                    version = what_ifs.finish(solve_id, scenario, plan, elapsed_s=elapsed)
                else:
                    version = solves.finish(solve_id, plan, elapsed_s=elapsed)
                log.info(
                    "solve %s ended",
                    solve_id,
                    extra={
                        "solve_id": solve_id,
                        "cycle_id": cycle.id,
                        "kind": solve.kind,
                        "elapsed_s": round(elapsed, 3),
                        "status": plan.get("status"),
                        "plan_version": version.number if version else None,
                    },
                )
                return version.number if version else None
        except Exception as exc:
            if job is not None and is_transient(exc):
                return _retry_later(solve_id, exc)
            with contextlib.suppress(Exception):  # the row may be unreachable too; RQ's callback retries
                solves.fail(solve_id, exc)
            raise


def _retry_later(solve_id: str, exc: BaseException):
    """A lost connection: hand the solve back to the queue (RQ re-runs a job that returns Retry)."""
    log.warning("solve %s: transient error, retrying: %s: %s", solve_id, type(exc).__name__, exc)
    with contextlib.suppress(Exception):
        db.session.rollback()
        solve_lifecycle.hand_back(solve_id)
        db.session.commit()
    return Retry(max=len(RETRY_INTERVALS_S), interval=RETRY_INTERVALS_S)


def solve_job_failed(job, connection, exc_type=None, exc_value=None, tb=None) -> None:
    """RQ's failure callback: the solve row follows its job when the job fails outside our own
    handling (a job timeout, or a worker that died and left the job abandoned)."""
    name = getattr(exc_type, "__name__", "error")
    if name == "AbandonedJobError":
        error = "the worker running this solve died and RQ found its job abandoned; no plan was stored"
    elif name == "JobTimeoutException":
        error = f"the solve ran past its job timeout ({job.timeout} s); no plan was stored"
    else:
        error = f"{name}: {exc_value}"
    with _app().app_context():
        solve_lifecycle.fail(job.id, error)  # unless it ended already
        db.session.commit()
        db.session.remove()
