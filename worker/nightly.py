"""The nightly dispatcher: one re-optimisation job per live cycle, so many workers share the night."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from rq import get_current_job

from service import nightly
from service.errors import DomainError
from service.extensions import db
from service.models import Solve
from service.solves import start_solve

from .jobs import app_context

log = logging.getLogger(__name__)


def reoptimise_live_cycles(now: str | None = None, force: bool = False) -> dict:
    """Queue tonight's re-optimisation of every live cycle; acts only at 02:00 London time.

    `now` (ISO, UTC) stands in for the clock; `force` runs outside the hour (by hand).
    Running it twice the same night queues nothing new: each cycle's nightly solve has
    the night in its id.
    """
    moment = dt.datetime.fromisoformat(now) if now else _due_time()
    if not force and not nightly.is_run_hour(moment):
        return {"acted": False, "reason": f"{nightly.london_time(moment):%H:%M} in London is not the run hour"}
    night = nightly.night_of(moment)
    queued, skipped = [], {}
    with app_context():
        config = current_app.config
        for cycle in nightly.live_cycles(night):
            solve_id = nightly.solve_id_for(cycle, night)
            if db.session.get(Solve, solve_id) is not None:
                skipped[cycle.id] = "already re-optimised tonight"
                continue
            try:
                start_solve(
                    cycle,
                    time_limit_s=config["NIGHTLY_TIME_LIMIT_S"],
                    kind="nightly",
                    solve_id=solve_id,
                    job=config["NIGHTLY_JOB"],
                    job_args=(night.isoformat(),),
                    queue=config["NIGHTLY_QUEUE"],
                )
                queued.append(cycle.id)
            except DomainError as exc:  # a solve of the officer's own is running: leave it be tonight
                db.session.rollback()
                skipped[cycle.id] = exc.message
        db.session.remove()
    log.info(
        "nightly %s: queued %d cycle(s), skipped %d",
        night,
        len(queued),
        len(skipped),
        extra={"night": night.isoformat(), "queued": queued, "skipped": skipped},
    )
    return {"acted": True, "night": night.isoformat(), "queued": queued, "skipped": skipped}


def _due_time() -> dt.datetime:
    """When this run was due: the time RQ queued it, not the time a worker got to it. A night
    of long officer solves must not push the 02:00 run past the hour and skip the night."""
    job = get_current_job()
    when = job.enqueued_at if job is not None and job.enqueued_at is not None else None
    if when is None:
        return dt.datetime.now(dt.UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
