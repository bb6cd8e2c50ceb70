"""Solve jobs on a real `python -m worker`: plan stored, progress, cancel, SIGKILL, warm shutdown."""

from __future__ import annotations

import signal
import time

import sqlalchemy as sa
from worker_helpers import la_scenario, wait_solve


def _versions(app, cycle_id) -> int:
    from service.extensions import db
    from service.models import PlanVersion

    with app.app_context():
        try:
            return db.session.scalar(
                sa.select(sa.func.count()).select_from(PlanVersion).where(PlanVersion.cycle_id == cycle_id)
            )
        finally:
            db.session.remove()


def _wait_running_with_progress(admin, solve_id, timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = admin.get(f"/api/v1/solves/{solve_id}").json
        if body["status"] == "running" and (body["progress"] or {}).get("objective") is not None:
            return body
        assert body["status"] in ("queued", "running") and time.monotonic() < deadline, body
        time.sleep(0.05)


def test_enqueued_solve_runs_on_the_worker_and_stores_its_plan(app, admin, workers, stack):
    from redis import Redis
    from rq.job import Job

    workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(20)).json["id"]
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 5})
    assert response.status_code == 202
    body = wait_solve(admin, response.json["id"], timeout=30)
    assert body["status"] == "finished", body
    assert body["plan_version"] == 1
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    assert plan["status"] in ("OPTIMAL", "FEASIBLE") and plan["reviews"]
    job = Job.fetch(body["id"], connection=Redis.from_url(stack["env"]["REDIS_URL"]))
    # The solve row says finished a moment before RQ stores the job's result: wait for it.
    deadline = time.monotonic() + 10
    while job.return_value(refresh=True) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.return_value() == 1
    assert job.meta["progress"]["objective"] == plan["objective"] or job.meta["progress"]["objective"] is not None


def test_progress_is_visible_while_running_then_cancel_keeps_the_best_plan(app, admin, workers, stack):
    from redis import Redis
    from rq.job import Job

    workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 60}).json["id"]
    body = _wait_running_with_progress(admin, solve_id)
    progress = body["progress"]
    assert progress["elapsed_s"] >= 0
    assert progress["bound"] is None or progress["bound"] <= progress["objective"] + 1e-6
    # The same progress reaches the RQ job's meta, for anyone watching the queue.
    job = Job.fetch(solve_id, connection=Redis.from_url(stack["env"]["REDIS_URL"]))
    deadline = time.monotonic() + 10
    while "progress" not in job.get_meta(refresh=True):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job.meta["progress"]["objective"] is not None
    # A second solve of the same cycle is refused, naming the running one.
    second = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 5})
    assert second.status_code == 409 and second.json["solve_id"] == solve_id

    cancelled_at = time.monotonic()
    assert admin.delete(f"/api/v1/solves/{solve_id}").status_code == 202
    body = wait_solve(admin, solve_id, timeout=30)
    assert body["status"] == "cancelled", body
    assert time.monotonic() - cancelled_at < 15  # well before its 60 s limit
    assert body["plan_version"] == 1
    assert admin.get(f"/api/v1/cycles/{cycle_id}/plan?version=1").json["reviews"]


def test_sigkill_mid_solve_fails_the_solve_without_a_plan_and_the_next_one_runs(app, admin, workers):
    first = workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 60}).json["id"]
    _wait_running_with_progress(admin, solve_id)
    first.kill_all()

    body = wait_solve(admin, solve_id, timeout=20)
    assert body["status"] == "failed", body
    assert "killed or crashed" in body["error"] and "no plan was stored" in body["error"]
    assert body["plan_version"] is None
    assert _versions(app, cycle_id) == 0

    workers()
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2})
    assert response.status_code == 202, response.json
    assert wait_solve(admin, response.json["id"], timeout=30)["status"] == "finished"
    assert _versions(app, cycle_id) == 1


def test_the_worker_sweep_fails_a_dead_solve_nobody_reads(app, admin, workers):
    """A second worker reconciles the row of a solve whose worker was killed, unasked."""
    from service.extensions import db
    from service.models import Solve

    first = workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 60}).json["id"]
    _wait_running_with_progress(admin, solve_id)
    first.kill_all()
    workers()
    deadline = time.monotonic() + 20
    with app.app_context():
        while (status := db.session.scalar(sa.select(Solve.status).where(Solve.id == solve_id))) == "running":
            assert time.monotonic() < deadline
            db.session.rollback()
            time.sleep(0.2)
        db.session.remove()
    assert status == "failed"


def test_warm_shutdown_finishes_the_running_solve(app, admin, workers):
    worker = workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 3}).json["id"]
    _wait_running_with_progress(admin, solve_id)
    worker.proc.send_signal(signal.SIGTERM)  # what `docker stop` sends to the container's main process
    assert worker.proc.wait(timeout=30) == 0
    body = admin.get(f"/api/v1/solves/{solve_id}").json
    assert body["status"] == "finished", body
    assert body["plan_version"] == 1


def test_bad_input_fails_once_and_is_not_retried(app, admin, workers, stack):
    """A cycle the solver refuses fails with the reason; RQ does not run it again."""
    from redis import Redis
    from rq.job import Job

    from service.extensions import db
    from service.models import Cycle

    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(20)).json["id"]
    with app.app_context():  # a state the API would refuse, as a buggy import might leave it
        db.session.get(Cycle, cycle_id).team_size = 0
        db.session.commit()
        db.session.remove()
    workers()
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json["id"]
    body = wait_solve(admin, solve_id, timeout=30)
    assert body["status"] == "failed", body
    assert "team_size" in body["error"]
    job = Job.fetch(solve_id, connection=Redis.from_url(stack["env"]["REDIS_URL"]))
    deadline = time.monotonic() + 10
    while job.get_status(refresh=True).value != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert not job.number_of_retries


def test_transient_errors_are_told_from_bad_input():
    import redis
    import sqlalchemy.exc
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from solver.scenario import ScenarioError
    from worker.transient import is_transient

    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    try:
        engine.connect()
    except sqlalchemy.exc.OperationalError as exc:
        refused = exc
    assert is_transient(refused)
    try:
        redis.Redis(port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)).ping()
    except redis.exceptions.ConnectionError as exc:
        lost = exc
    assert is_transient(lost)
    assert not is_transient(ScenarioError(["cycle.team_size: must be at least 1"]))
    assert not is_transient(ValueError("bad"))


def test_rq_abandoned_job_cleanup_fails_the_solve_through_the_callback(app, admin, workers, stack):
    """RQ's own path for a dead worker: its StartedJobRegistry entry expires, cleanup moves the job
    to the FailedJobRegistry and calls the job's failure callback, which fails the solve row."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    from service.extensions import db
    from service.models import Solve

    worker = workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 60}).json["id"]
    _wait_running_with_progress(admin, solve_id)
    worker.kill_all()

    queue = Queue(stack["env"]["SOLVE_QUEUE"], connection=Redis.from_url(stack["env"]["REDIS_URL"]))
    # As RQ's maintenance will, once the dead worker's heartbeat has expired (here: pretend it has).
    queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    assert solve_id in FailedJobRegistry(queue=queue).get_job_ids()
    with app.app_context():
        solve = db.session.get(Solve, solve_id)
        assert solve.status == "failed" and "abandoned" in solve.error, solve.error
        db.session.remove()
    assert _versions(app, cycle_id) == 0


def test_rq_stop_job_command_keeps_the_best_plan(app, admin, workers, stack):
    from redis import Redis
    from rq.command import send_stop_job_command

    workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(60)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 60}).json["id"]
    _wait_running_with_progress(admin, solve_id)
    stopped_at = time.monotonic()
    send_stop_job_command(Redis.from_url(stack["env"]["REDIS_URL"]), solve_id)
    body = wait_solve(admin, solve_id, timeout=30)
    assert body["status"] == "cancelled", body
    assert time.monotonic() - stopped_at < 15
    assert body["plan_version"] == 1 and _versions(app, cycle_id) == 1


def test_a_lost_database_is_retried_and_the_solve_then_runs(app, admin, workers, stack):
    """A worker that cannot reach the database hands the job back (RQ Retry); once a worker that
    can reach it picks the retry up, the solve runs to its plan."""
    from redis import Redis
    from rq.job import Job

    # A queue of its own: a worker killed by an earlier test may still hold the scheduler lock
    # of the shared one (RQ frees it a minute later), and only the lock holder enqueues retries.
    queue = {name: f"{stack['env'][name]}-retry" for name in ("SOLVE_QUEUE", "NIGHTLY_QUEUE")}
    app.config.update(queue)
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(20)).json["id"]
    cut_off = workers(env=queue | {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json["id"]
    job = Job.fetch(solve_id, connection=Redis.from_url(stack["env"]["REDIS_URL"]))
    deadline = time.monotonic() + 30
    while job.refresh() or not job.number_of_retries:
        assert time.monotonic() < deadline, cut_off.output()[-3000:]
        time.sleep(0.1)
    assert job.get_status().value in ("scheduled", "queued")
    assert admin.get(f"/api/v1/solves/{solve_id}").json["status"] == "queued"  # not failed: it will run
    cut_off.proc.terminate()  # warm: it is idle, and it gives up its scheduler lock
    cut_off.proc.wait(timeout=20)

    workers(env=queue)
    body = wait_solve(admin, solve_id, timeout=40)
    assert body["status"] == "finished", body
    assert body["plan_version"] == 1
