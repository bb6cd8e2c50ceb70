"""Jobs, named by dotted path (`worker.jobs.solve_cycle`) by the service.

A job translates, calls and stores; the rules live in `service` (scenario
builder, plan versions, solve states) and in `solver`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time

from flask import current_app, has_app_context


@functools.cache
def _app():
    from service import create_app

    return create_app()


def app_context():
    """The running app's context (in-process thread) or this worker process's own app."""
    if has_app_context():
        return contextlib.nullcontext(current_app)
    return _app().app_context()


def _current_rq_job():
    try:
        from rq import get_current_job

        return get_current_job()
    except Exception:
        return None


def solve_cycle(solve_id: str) -> int | None:
    """Solve one cycle and store the plan as a new version; returns its number."""
    import solver
    from service import solves
    from service.scenario import build_scenario

    with app_context():
        solve = solves.begin(solve_id)
        if solve is None:  # cancelled while queued, or already taken
            return None
        started = time.monotonic()
        try:
            scenario = build_scenario(solve.cycle)
            progress = solves.ProgressReporter(solve_id, job=_current_rq_job())
            with solves.cancel_watch(solve_id, threading.Event()) as stop:
                plan = solver.solve(
                    scenario,
                    time_limit=solve.time_limit_s,
                    workers=current_app.config["SOLVER_WORKERS"],
                    on_progress=progress,
                    stop=stop,
                )
            progress.flush()
            version = solves.finish(solve_id, plan, elapsed_s=time.monotonic() - started)
            return version.number
        except Exception as exc:
            solves.fail(solve_id, exc)
            raise
