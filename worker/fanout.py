"""Fan a big solve out over the running RQ workers.

`solve` is `solver.solve` for a job that runs on an RQ worker. When other workers on the
job's queue are idle and the cycle is big enough, the cycle's first pairing search is
split into one part per worker (this one included: `solver/split.py`); the other parts
are RQ jobs at the front of the job's own queue (`solve_part_job`), this process solves
the first, and the merged teams go on through the solver's pipeline here (support,
dating, repair, the plan). The plan's bound stays honest: it is the LP relaxation's, or
better, never the parts' own (`solver/split.py`). With no idle worker, or a small cycle,
it is exactly `solver.solve`: one worker gives the same plan as before.

A part that has not finished by the time the parts were given (and a few seconds' grace)
is cancelled and its part answered by its greedy teams; the pipeline then searches the
whole model from the merged teams. Cancelling the solve stops the parts too (a Redis key
they watch).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

from redis import Redis
from rq import Queue, Worker, get_current_job
from rq.job import Job, JobStatus
from rq.worker import WorkerStatus

import solver
from solver.split import solve_part

log = logging.getLogger(__name__)

MIN_REVIEWS = 100  # smaller cycles are solved whole: the model proves them in seconds
GRACE_S = 10.0  # beyond a part's time: a queued part's start, its model's building
STOP_TTL_S = 3600


def solve(
    scenario: dict,
    *,
    connection: Redis | None,
    queue_name: str | None,
    min_reviews: int = MIN_REVIEWS,
    **kwargs,
) -> dict:
    """`solver.solve(scenario, **kwargs)`, its first search fanned out over the idle
    workers of `queue_name` when there are any and the cycle has `min_reviews` reviews."""
    if connection is None or queue_name is None or len(scenario.get("reviews", [])) < min_reviews:
        return solver.solve(scenario, **kwargs)
    parts = 1 + idle_workers(connection, queue_name)
    if parts < 2:
        return solver.solve(scenario, **kwargs)
    runner = RqParts(connection, queue_name, scenario, kwargs.get("stop"))
    plan = solver.solve(scenario, parts=parts, run_parts=runner, **kwargs)
    log.info("fanned out over %d parts: %s", parts, runner.report)
    return plan


def idle_workers(connection: Redis, queue_name: str) -> int:
    """Workers listening on the queue with nothing to do (this job's own worker is busy)."""
    queue = Queue(queue_name, connection=connection)
    return sum(1 for w in Worker.all(connection=connection, queue=queue) if w.get_state() == WorkerStatus.IDLE)


class RqParts:
    """A `solver.split.RunParts`: the first part here, the others as RQ jobs."""

    def __init__(self, connection: Redis, queue_name: str, scenario: dict, stop: threading.Event | None):
        self.connection, self.scenario, self.stop = connection, scenario, stop
        self.queue = Queue(queue_name, connection=connection)
        self.stop_key = f"fanout:stop:{uuid.uuid4().hex}"
        self.report: list[dict] = []  # where each part ran, and how long it took

    def __call__(self, specs: list[dict], time_limit: float) -> list[dict | None]:
        deadline = time.monotonic() + time_limit + GRACE_S
        jobs = [
            self.queue.enqueue_call(
                solve_part_job,
                args=(self.scenario, spec, time_limit, self.stop_key),
                timeout=int(time_limit + 10 * GRACE_S),
                result_ttl=600,
                failure_ttl=600,
                at_front=True,  # before any whole solve waiting in the queue
                description=f"part {spec['index'] + 1} of {len(specs)}",
            )
            for spec in specs[1:]
        ]
        watch = self._relay_stop()
        try:
            here = solve_part(self.scenario, specs[0], time_limit, self.stop)
            here["pid"] = os.getpid()
            results: list[dict | None] = [here, *self._collect(jobs, deadline)]
        finally:
            watch.set()
        self.report = [
            {"part": i, "pid": r.get("pid"), "seconds": r.get("seconds")} if r else {"part": i, "answer": None}
            for i, r in enumerate(results)
        ]
        return results

    def _collect(self, jobs: list[Job], deadline: float) -> list[dict | None]:
        """Each job's answer; a job not done by the deadline is cancelled (None)."""
        out: list[dict | None] = []
        for job in jobs:
            while True:
                status = job.get_status(refresh=True)
                if status == JobStatus.FINISHED:
                    out.append(job.return_value(refresh=True))
                    break
                if status in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED) or status is None:
                    log.warning("part job %s ended %s: its part falls back to its greedy teams", job.id, status)
                    out.append(None)
                    break
                if time.monotonic() > deadline:
                    log.warning("part job %s not done in time (%s): cancelled", job.id, status)
                    self.connection.set(self.stop_key, 1, ex=STOP_TTL_S)
                    job.cancel()
                    out.append(None)
                    break
                time.sleep(0.05)
        return out

    def _relay_stop(self) -> threading.Event:
        """While the parts run, the solve's own stop (a cancel) stops them too."""
        done = threading.Event()
        if self.stop is None:
            return done
        stop = self.stop

        def run() -> None:
            while not done.is_set():
                if stop.wait(0.2):
                    self.connection.set(self.stop_key, 1, ex=STOP_TTL_S)
                    return

        threading.Thread(target=run, daemon=True).start()
        return done


def solve_part_job(scenario: dict, spec: dict, time_limit: float, stop_key: str) -> dict:
    """The RQ job of one part: `solver.split.solve_part`, stopped when the solve is."""
    stop = threading.Event()
    connection = _job_connection()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() and not stop.is_set():
            if connection is not None and connection.exists(stop_key):
                stop.set()
            done.wait(0.2)

    threading.Thread(target=watch, daemon=True).start()
    try:
        result = solve_part(scenario, spec, time_limit, stop)
    finally:
        done.set()
    result["pid"] = os.getpid()
    return result


def _job_connection() -> Redis | None:
    job = get_current_job()
    return job.connection if job is not None else None
