"""POST /cycles/{id}/solves, GET and DELETE /solves/{id}: the same states in-process and on RQ."""

import time

from api_helpers import wait_solve
from test_cycles_api import assert_error


def test_solve_runs_to_a_stored_plan_version(admin, cycle_id):
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2})
    assert response.status_code == 202
    assert response.json["status"] == "queued"
    solve_id = response.json["id"]
    assert response.headers["Location"].endswith(f"/api/v1/solves/{solve_id}")
    body = wait_solve(admin, solve_id)
    assert body["status"] == "finished", body
    assert body["plan_version"] == 1
    assert body["error"] is None
    assert body["started_at"] and body["finished_at"]
    assert body["progress"]["elapsed_s"] is not None
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan").json
    assert plan["status"] in ("OPTIMAL", "FEASIBLE")
    assert {v["school_urn"] for v in plan["reviews"]} | {u["school_urn"] for u in plan["unstaffed"]} == {
        "106283",
        "106288",
    }
    listed = admin.get(f"/api/v1/cycles/{cycle_id}/solves").json
    assert [s["id"] for s in listed] == [solve_id]


def test_solve_without_body_uses_the_default_limit(app, admin, cycle_id):
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves")
    assert response.status_code == 202, response.json
    assert response.json["time_limit_s"] == app.config["SOLVE_DEFAULT_TIME_LIMIT_S"]
    assert wait_solve(admin, response.json["id"])["status"] == "finished"


def test_second_solve_while_one_is_active_is_409_naming_it(admin, cycle_id):
    first = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json["id"]
    second = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2})
    if second.status_code == 202:  # the first had already finished: allowed, and it ran
        assert wait_solve(admin, first)["status"] == "finished"
        second_id = second.json["id"]
    else:
        body = assert_error(second, 409)
        assert body["solve_id"] == first
        second_id = None
    wait_solve(admin, first)
    if second_id:
        wait_solve(admin, second_id)
    # Once it is over, a new solve may start.
    third = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 1})
    assert third.status_code == 202
    wait_solve(admin, third.json["id"])


def test_bad_time_limit_is_422_with_its_path(admin, cycle_id):
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": -1}), 422)
    assert "time_limit_s" in body["errors"]
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": "soon"}), 422)
    assert "time_limit_s" in body["errors"]
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 10**9}), 422)
    assert "time_limit_s" in body["errors"]
    body = assert_error(admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit": 5}), 422)
    assert "time_limit" in body["errors"]
    assert admin.get(f"/api/v1/cycles/{cycle_id}/solves").json == []


def test_solves_authorisation(client, admin, other_admin, head, cycle_id):
    path = f"/api/v1/cycles/{cycle_id}/solves"
    assert_error(client.post(path, json={}), 401)
    assert_error(head.post(path, json={}), 403)
    assert_error(other_admin.post(path, json={}), 404)
    solve_id = admin.post(path, json={"time_limit_s": 1}).json["id"]
    wait_solve(admin, solve_id)
    for api, code in ((client, 401), (head, 403), (other_admin, 404)):
        assert_error(api.get(f"/api/v1/solves/{solve_id}"), code)
        assert_error(api.delete(f"/api/v1/solves/{solve_id}"), code)
        assert_error(api.get(path), code)
    assert_error(admin.get("/api/v1/solves/does-not-exist"), 404)


def test_cancel_keeps_the_best_plan_so_far(admin):
    from solver.generate import generate

    # Big enough that CP-SAT is still improving when we cancel.
    cycle_id = admin.post("/api/v1/cycles", json=generate(300, seed=3)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 120}).json["id"]
    body = wait_solve(admin, solve_id, until=("running",))
    deadline = time.monotonic() + 30
    while body["progress"] is None or body["progress"]["objective"] is None:
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
        body = admin.get(f"/api/v1/solves/{solve_id}").json
    assert body["status"] == "running"
    progress = body["progress"]
    assert progress["bound"] is None or progress["bound"] <= progress["objective"] + 1e-6
    cancelled_at = time.monotonic()
    response = admin.delete(f"/api/v1/solves/{solve_id}")
    assert response.status_code == 202
    assert response.json["cancel_requested"] is True
    body = wait_solve(admin, solve_id, timeout=60)
    assert body["status"] == "cancelled", body
    assert time.monotonic() - cancelled_at < 30
    assert body["plan_version"] == 1
    plan = admin.get(f"/api/v1/cycles/{cycle_id}/plan?version=1").json
    assert plan["reviews"]
    assert_error(admin.delete(f"/api/v1/solves/{solve_id}"), 409)


def test_a_solve_whose_runner_died_does_not_block_the_cycle(app, backend, admin, cycle_id):
    """A solve left `running` by a dead process (in-process) or a lost job (RQ) is failed, not a 409."""
    import socket

    from service.extensions import db
    from service.models import Solve

    if backend["config"]["REDIS_URL"]:
        runner, why = "rq", "no longer in the queue"  # no such RQ job
    else:
        runner, why = f"thread:{socket.gethostname()}:{subprocess_pid_that_has_exited()}", "stopped"
    with app.app_context():
        db.session.add(Solve(id="dead-solve", cycle_id=cycle_id, status="running", time_limit_s=5, runner=runner))
        db.session.commit()
    old = admin.get("/api/v1/solves/dead-solve").json
    assert old["status"] == "failed" and why in old["error"]
    with app.app_context():
        db.session.add(Solve(id="dead-solve-2", cycle_id=cycle_id, status="running", time_limit_s=5, runner=runner))
        db.session.commit()
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 1})
    assert response.status_code == 202, response.json
    assert admin.get("/api/v1/solves/dead-solve-2").json["status"] == "failed"
    assert wait_solve(admin, response.json["id"])["status"] == "finished"


def subprocess_pid_that_has_exited() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_progress_reaches_the_rq_job_meta(backend, admin, cycle_id):
    import pytest

    if not backend["config"]["REDIS_URL"]:
        pytest.skip("RQ only")
    from redis import Redis
    from rq.job import Job

    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2}).json["id"]
    assert wait_solve(admin, solve_id)["status"] == "finished"
    redis = Redis.from_url(backend["config"]["REDIS_URL"])
    job = Job.fetch(solve_id, connection=redis)
    assert job.meta["progress"]["objective"] is not None
    # The row says finished before the job function returns; RQ stores the result just after.
    deadline = time.monotonic() + 10
    while job.return_value() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        job = Job.fetch(solve_id, connection=redis)
    assert job.return_value() == 1  # the plan version it stored


def test_a_cycle_with_a_running_solve_cannot_be_deleted(admin, cycle_id):
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 1}).json["id"]
    response = admin.delete(f"/api/v1/cycles/{cycle_id}")
    if response.status_code == 409:
        assert response.json["solve_id"] == solve_id
        wait_solve(admin, solve_id)
        response = admin.delete(f"/api/v1/cycles/{cycle_id}")
    else:  # it had already finished
        assert wait_solve(admin, solve_id)["status"] == "finished"
    assert response.status_code == 204
    assert_error(admin.get(f"/api/v1/solves/{solve_id}"), 404)
