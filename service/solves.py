"""Solve runs: starting, dispatching, progress, cancelling, finishing.

The solve row is the contract between the web process and whatever runs the
job: RQ when `REDIS_URL` is set, else a thread in this process. Either way the
job is named by its dotted path (config `SOLVE_JOB`) and calls back into the
functions below, so both runners go through the same states:
queued -> running -> finished | failed | cancelled.

Cancelling sets a flag on the row that the running job polls (and, in-process,
an Event directly). RQ's own stop-job command would SIGKILL the work horse and
lose the best plan found so far, which the API promises to keep; the worker
(`worker/solve_worker.py`) turns that command into the same flag.

A running RQ solve keeps a heartbeat key in Redis (`heartbeat_key`); a solve whose
key has expired belongs to a worker that was killed, and `reap_if_dead` fails it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import traceback
import uuid

import sqlalchemy as sa
from flask import current_app
from redis import Redis
from rq import Callback, Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from werkzeug.utils import import_string

from . import audit, inprocess, solve_lifecycle, solve_limits
from .errors import Conflict as ConflictError
from .errors import DomainError
from .extensions import db
from .models import ACTIVE_SOLVE_STATES, Cycle, Solve, SolveStatus, utcnow
from .plans import store_version
from .solve_lifecycle import SolveTransitionError

log = logging.getLogger(__name__)

# Stop events of the solves running in this process, by solve id.
_STOP_EVENTS: dict[str, threading.Event] = {}
_LIVE_THREADS: set[str] = set()


def this_process() -> str:
    return f"thread:{socket.gethostname()}:{os.getpid()}"


def listing(cycle: Cycle) -> list[Solve]:
    """The cycle's solves, newest first."""
    return list(
        db.session.scalars(db.select(Solve).where(Solve.cycle_id == cycle.id).order_by(Solve.created_at.desc()))
    )


def active_solve(cycle: Cycle) -> Solve | None:
    return db.session.scalar(db.select(Solve).where(Solve.cycle_id == cycle.id, Solve.status.in_(ACTIVE_SOLVE_STATES)))


def reap_if_dead(solve: Solve) -> bool:
    """Mark failed an active solve whose runner is gone; True if so.

    A solve whose process died (a killed RQ work horse, a web process stopped
    mid-solve) would otherwise stay `running` and block its cycle for ever.
    """
    if solve.status not in ACTIVE_SOLVE_STATES:
        return False
    if solve.runner == "rq":
        return _reap_dead_job(solve)
    if not (solve.runner or "").startswith("thread:"):
        return False
    _, host, pid = solve.runner.split(":", 2)
    if host != socket.gethostname():
        return False
    pid = int(pid)
    if pid == os.getpid():
        alive = solve.id in _LIVE_THREADS
    else:
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
    if alive:
        return False
    _mark_dead(solve, "the process running this solve stopped before it finished")
    return True


def _reap_dead_job(solve: Solve) -> bool:
    try:
        job = Job.fetch(solve.id, connection=redis_connection())
        status = job.get_status()
    except NoSuchJobError:
        _mark_dead(solve, "its job is no longer in the queue (Redis lost it)")
        return True
    except Exception:  # Redis unreachable: we cannot tell, so leave it
        log.warning("could not look up the job of solve %s", solve.id, exc_info=True)
        return False
    if status not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return _reap_silent_runner(solve)
    db.session.refresh(solve)  # the job may have recorded its own failure meanwhile
    if solve.status in ACTIVE_SOLVE_STATES:
        _mark_dead(
            solve, f"its job ended as {status.value} before the solve finished (the worker was stopped or killed)"
        )
    return True


HEARTBEAT_KEY = "peer-review:solve:{}:alive"


def heartbeat_key(solve_id: str) -> str:
    return HEARTBEAT_KEY.format(solve_id)


def _reap_silent_runner(solve: Solve) -> bool:
    """A running RQ solve whose job stopped beating was killed with its worker (SIGKILL, OOM,
    lost machine). RQ itself notices only when the job's registry entry expires (minutes), so
    the job's own short-lived heartbeat key tells us sooner."""
    if solve.status != SolveStatus.RUNNING or solve.started_at is None:
        return False
    # The key lives five beats (worker/heartbeat.py); a solve younger than that may not have one yet.
    grace = current_app.config["SOLVE_HEARTBEAT_S"] * 5 + 2
    if (utcnow() - solve.started_at).total_seconds() < grace:
        return False
    try:
        if redis_connection().exists(heartbeat_key(solve.id)):
            return False
    except Exception:  # Redis unreachable: we cannot tell, so leave it
        return False
    db.session.refresh(solve)
    if solve.status != SolveStatus.RUNNING:
        return False
    _mark_dead(
        solve, "the worker running this solve stopped (killed or crashed) before it finished; no plan was stored"
    )
    return True


def reap_stale() -> int:
    """Mark failed every active solve whose runner is gone; how many were."""
    count = 0
    for solve in db.session.scalars(db.select(Solve).where(Solve.status.in_(ACTIVE_SOLVE_STATES))).all():
        try:
            count += reap_if_dead(solve)
        except Exception:
            log.warning("could not check solve %s", solve.id, exc_info=True)
            db.session.rollback()
    return count


def _mark_dead(solve: Solve, error: str) -> None:
    solve_lifecycle.fail(solve.id, error)  # unless it ended meanwhile
    db.session.commit()
    db.session.refresh(solve)


def start_solve(
    cycle: Cycle,
    *,
    time_limit_s: float,
    user=None,
    kind: str = "solve",
    solve_id: str | None = None,
    job: str | None = None,
    job_args: tuple = (),
    queue: str | None = None,
) -> Solve:
    """Create a queued solve for `cycle` and hand it to the runner (409 if one is active).

    `solve_id` fixes the id (the nightly run's is its cycle and night, so a second run the
    same night collides instead of solving again); `job` and `job_args` name another job
    function than the configured `SOLVE_JOB`, called as job(solve_id, *job_args)."""
    solve_limits.check(time_limit_s)
    active = active_solve(cycle)
    if active and not reap_if_dead(active):
        raise _busy(active)
    redis_url = current_app.config.get("REDIS_URL")
    solve = Solve(
        id=solve_id or uuid.uuid4().hex,
        cycle_id=cycle.id,
        time_limit_s=time_limit_s,
        kind=kind,
        runner="rq" if redis_url else this_process(),
        requested_by_id=user.id if user is not None else None,
    )
    db.session.add(solve)
    audit.cycle_event("solve.started", cycle, f"started a {kind} ({time_limit_s:g} s)", actor=user, solve=solve.id)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another request won the race for this cycle (unique partial index).
        db.session.rollback()
        raise _busy(active_solve(cycle)) from None
    # Load the row as queued now: the answer says "queued" even if the runner
    # has moved it on by the time the response is written.
    db.session.refresh(solve)
    job = job or current_app.config["SOLVE_JOB"]
    if redis_url:
        _enqueue(solve, job, job_args, queue)
    else:
        _start_thread(solve.id, job, job_args)
    return solve


def _busy(active: Solve | None) -> ConflictError:
    sid = active.id if active else None
    return ConflictError(
        "a solve is already queued or running for this cycle",
        {"solve_id": [f"{sid} is {active.status if active else 'active'}"]},
        solve_id=sid,
    )


def redis_connection():
    return Redis.from_url(current_app.config["REDIS_URL"])


def solve_queue(name: str | None = None):
    return Queue(name or current_app.config["SOLVE_QUEUE"], connection=redis_connection())


def _enqueue(solve: Solve, job: str, job_args: tuple, queue: str | None) -> None:
    try:
        solve_queue(queue).enqueue(
            job,
            solve.id,
            *job_args,
            job_id=solve.id,
            # Well above the solver's own limit: the solver stops itself; this
            # only catches a job that hangs.
            job_timeout=int(solve.time_limit_s * 2 + 120),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{solve.kind} cycle {solve.cycle_id}",
            # RQ calls it when the job fails, times out or is abandoned by a dead worker.
            on_failure=Callback(current_app.config["SOLVE_ON_FAILURE"]),
        )
    except Exception as exc:  # Redis down: do not leave a queued row nobody will run
        solve_lifecycle.set_status(solve, SolveStatus.FAILED, error=f"could not enqueue the job: {exc}")
        db.session.commit()
        raise DomainError("the job queue is not available", code=503) from exc


def _start_thread(solve_id: str, job_name: str, job_args: tuple) -> None:
    app = current_app._get_current_object()
    job = import_string(job_name)
    _LIVE_THREADS.add(solve_id)

    def run():
        try:
            with app.app_context():
                job(solve_id, *job_args)
        except Exception:
            log.exception("in-process solve %s failed", solve_id)
        finally:
            _LIVE_THREADS.discard(solve_id)

    # At most SOLVE_INPROCESS_CONCURRENCY at once; the rest wait, queued (service/inprocess.py).
    inprocess.runner(app.config["SOLVE_INPROCESS_CONCURRENCY"]).submit(run)


def cancel_solve(solve: Solve) -> Solve:
    """Cancel: a queued solve ends now; a running one is asked to stop and keep its best plan."""
    if solve.status not in ACTIVE_SOLVE_STATES:
        raise SolveTransitionError(f"the solve is already {solve.status}")
    queued = solve_lifecycle.cancel_queued(solve.id)
    if not queued:  # running: it stops itself and ends cancelled, keeping its best plan
        solve.cancel_requested = True
    audit.cycle_event("solve.cancelled", solve.cycle, f"asked {solve.kind} {solve.id} to stop", solve=solve.id)
    db.session.commit()
    db.session.refresh(solve)
    if queued and solve.runner == "rq":
        with contextlib.suppress(Exception):
            Job.fetch(solve.id, connection=redis_connection()).cancel()
    event = _STOP_EVENTS.get(solve.id)
    if event is not None:
        event.set()
    return solve


# --------------------------------------------------------------------------- job side


def begin(solve_id: str, *, resume: bool = False) -> Solve | None:
    """queued -> running, atomically; None when the solve was cancelled or taken already.

    `resume`: the job is a retry of itself after a transient error, which may have left
    the row `running` (the database was what failed), so take that too."""
    started = solve_lifecycle.take(solve_id, resume=resume)
    db.session.commit()
    return db.session.get(Solve, solve_id) if started else None


class ProgressReporter:
    """The solver's `on_progress`: writes to the solve row (throttled) and the RQ job's meta.

    It may be called from the solver's own threads, so it writes through the
    engine captured here rather than the request-scoped session.
    """

    def __init__(self, solve_id: str, job=None):
        self.solve_id = solve_id
        self.engine = db.engine
        self.job = job
        self.interval = current_app.config["SOLVE_PROGRESS_INTERVAL_S"]
        self._last = 0.0
        self._pending = None
        self._lock = threading.Lock()

    def __call__(self, objective=None, bound=None, elapsed_s=None):
        now = time.monotonic()
        values = {"objective": objective, "bound": bound, "elapsed_s": elapsed_s}
        with self._lock:
            self._pending = values
            if now - self._last < self.interval:
                return
            self._last = now
            self._pending = None
        self._write(values)

    def flush(self):
        """Write the last progress that the throttle held back (called when the solve ends)."""
        with self._lock:
            values, self._pending = self._pending, None
        if values:
            self._write(values)

    def _write(self, values):
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.update(Solve).where(Solve.id == self.solve_id).values(**values))
            if self.job is not None:
                self.job.meta["progress"] = values
                self.job.save_meta()
        except Exception:  # progress is best effort; never break the solve for it
            log.warning("could not record progress of solve %s", self.solve_id, exc_info=True)


@contextlib.contextmanager
def cancel_watch(solve_id: str, stop: threading.Event, poll_s: float = 0.25):
    """While inside, `stop` is set as soon as someone asks to cancel this solve."""
    engine = db.engine
    _STOP_EVENTS[solve_id] = stop
    done = threading.Event()

    def poll():
        while not done.wait(poll_s):
            try:
                with engine.connect() as conn:
                    if conn.scalar(sa.select(Solve.cancel_requested).where(Solve.id == solve_id)):
                        stop.set()
                        return
            except Exception:
                log.warning("could not poll the cancel flag of solve %s", solve_id, exc_info=True)

    watcher = threading.Thread(target=poll, name=f"cancel-watch-{solve_id}", daemon=True)
    watcher.start()
    try:
        yield stop
    finally:
        done.set()
        _STOP_EVENTS.pop(solve_id, None)


def finish(solve_id: str, plan: dict, *, elapsed_s: float | None = None):
    """Store `plan` as the cycle's next version and close the solve, in one transaction."""
    # Re-read: the cancel flag was set by another request after this job loaded the row.
    solve = db.session.get(Solve, solve_id, populate_existing=True)
    cancelled = solve.cancel_requested
    version = store_version(
        solve.cycle,
        plan,
        source="nightly" if solve.kind == "nightly" else "solve",
        solve_id=solve.id,
        note="best plan found before the solve was cancelled" if cancelled else None,
    )
    return close(solve, version, plan, elapsed_s=elapsed_s)


def close(solve: Solve, version, plan: dict, *, elapsed_s: float | None = None):
    """End a solve with the version it stored (None: it stored none) and commit."""
    solve_lifecycle.end(solve, version, plan, elapsed_s=elapsed_s)
    db.session.commit()
    return version


def fail(solve_id: str, error: BaseException | str) -> None:
    """Mark the solve failed with a readable error (nothing else is written)."""
    db.session.rollback()
    if isinstance(error, BaseException):
        lines = getattr(error, "errors", None)
        message = f"{type(error).__name__}: {error}"
        if isinstance(lines, list) and lines:
            message += "\n" + "\n".join(map(str, lines))
        log.error("solve %s failed\n%s", solve_id, "".join(traceback.format_exception(error)))
    else:
        message = error
    solve_lifecycle.fail(solve_id, message[:10000])  # unless it ended already
    db.session.commit()
