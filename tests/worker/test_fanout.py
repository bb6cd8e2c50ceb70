"""A big solve fanned out over real RQ workers (`worker/fanout.py`): real Redis, real `rq worker`
processes (SimpleWorker: each job runs in the worker process itself, so its pid says where).

Small generated LAs with the fan-out's size threshold lowered, so each test takes seconds."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.registry import FinishedJobRegistry
from rq.worker import WorkerStatus

from solver import check, solve
from solver.generate import generate
from worker import fanout

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTIMUM_140_1 = 162094.548615  # proven OPTIMAL for generate(140, 1) (tests/solver/test_scale.py's source)


@pytest.fixture
def queue_name(redis_url):
    return f"ft-parts-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rq_workers(redis_url, queue_name):
    """Start n `rq worker` processes on the test's queue; stopped (warm) at the end."""
    procs: list[subprocess.Popen] = []

    def start(n: int) -> list[int]:
        connection = Redis.from_url(redis_url)
        for _ in range(n):
            procs.append(
                subprocess.Popen(
                    [
                        os.path.join(os.path.dirname(sys.executable), "rq"),
                        "worker",
                        "--url",
                        redis_url,
                        "--worker-class",
                        "rq.worker.SimpleWorker",
                        queue_name,
                    ],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 30
        queue = Queue(queue_name, connection=connection)
        while time.monotonic() < deadline:
            idle = [w for w in Worker.all(connection=connection, queue=queue) if w.get_state() == WorkerStatus.IDLE]
            if len(idle) >= n:
                return [p.pid for p in procs]
            time.sleep(0.1)
        pytest.fail(f"{n} rq workers did not start within 30 s")

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def test_parts_run_as_separate_jobs_and_merge_into_a_valid_plan(redis_url, queue_name, rq_workers):
    pids = rq_workers(2)
    connection = Redis.from_url(redis_url)
    scenario = generate(140, 1)
    plan = fanout.solve(
        copy.deepcopy(scenario),
        connection=connection,
        queue_name=queue_name,
        min_reviews=10,
        time_limit=20,
        workers=1,
        seed=0,
    )
    # One part here, one on each idle worker.
    assert plan["solver"]["parts"] == 3
    registry = FinishedJobRegistry(queue_name, connection=connection)
    jobs = [Queue(queue_name, connection=connection).fetch_job(i) for i in registry.get_job_ids()]
    parts = [j for j in jobs if j is not None and j.func_name == "worker.fanout.solve_part_job"]
    assert len(parts) == 2
    answers = [j.return_value() for j in parts]
    assert {a["pid"] for a in answers} <= set(pids) and os.getpid() not in {a["pid"] for a in answers}
    assert all(a["found"] and a["teams"] for a in answers)
    # The merged plan keeps every rule, and its bound is honest: never above the optimum.
    assert check(scenario, plan) == []
    assert plan["bound"] is not None and plan["bound"] <= OPTIMUM_140_1 <= plan["objective"] + 1e-6
    assert (plan["objective"] - plan["bound"]) / plan["objective"] < 0.005


def test_no_idle_worker_solves_as_before(redis_url, queue_name):
    # Nobody listens on this queue: the solve is solver.solve's, the same plan.
    connection = Redis.from_url(redis_url)
    scenario = generate(140, 3)
    kwargs = {"time_limit": 10, "workers": 1, "seed": 0}
    fanned = fanout.solve(
        copy.deepcopy(scenario), connection=connection, queue_name=queue_name, min_reviews=10, **kwargs
    )
    alone = solve(copy.deepcopy(scenario), **kwargs)
    assert "parts" not in fanned["solver"]
    assert fanned["status"] == alone["status"] == "OPTIMAL"
    assert fanned["objective"] == alone["objective"] and fanned["reviews"] == alone["reviews"]


def test_cancelling_the_solve_stops_its_parts(redis_url, queue_name, rq_workers):
    rq_workers(1)
    connection = Redis.from_url(redis_url)
    scenario = generate(400, 1)
    stop = threading.Event()
    threading.Timer(6.0, stop.set).start()
    started = time.monotonic()
    plan = fanout.solve(
        scenario, connection=connection, queue_name=queue_name, time_limit=120, workers=1, seed=0, stop=stop
    )
    elapsed = time.monotonic() - started
    # The parts had about 50 s; stopped, the part on the other worker ends within a second
    # or two as well, and the plan is a valid one.
    assert plan["solver"]["parts"] == 2
    assert elapsed < 30, elapsed
    assert check(scenario, plan) == []
    registry = FinishedJobRegistry(queue_name, connection=connection)
    assert len(registry.get_job_ids()) == 1


def test_a_part_no_worker_takes_is_cancelled_and_the_plan_still_comes(redis_url, queue_name, monkeypatch):
    # Nobody listens on the queue: the part job waits, is cancelled after its time and the
    # grace, its part falls back to its greedy teams, and the whole model finishes the plan.
    monkeypatch.setattr(fanout, "GRACE_S", 1.0)
    connection = Redis.from_url(redis_url)
    scenario = generate(140, 1)
    runner = fanout.RqParts(connection, queue_name, scenario, None)
    started = time.monotonic()
    plan = solve(copy.deepcopy(scenario), time_limit=8, workers=1, seed=0, parts=2, run_parts=runner)
    assert time.monotonic() - started < 20
    assert plan["solver"]["parts"] == 2
    assert runner.report[1] == {"part": 1, "answer": None}
    assert check(scenario, plan) == []
    assert plan["bound"] <= OPTIMUM_140_1 <= plan["objective"] + 1e-6
    assert Queue(queue_name, connection=connection).get_job_ids() == []  # cancelled: no longer queued
