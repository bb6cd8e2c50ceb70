"""The deployment: docker-compose.yml read as data (no Docker engine here), the worker's health
check, /metrics and JSON logs."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
APP_ROLES = ("migrate", "web", "worker", "scheduler")


@pytest.fixture(scope="module")
def compose():
    with open(os.path.join(ROOT, "docker-compose.yml")) as fh:
        return yaml.safe_load(fh)


def _argv(command) -> list[str]:
    return command if isinstance(command, list) else shlex.split(command)


def test_compose_has_every_role(compose):
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "web", "worker", "scheduler"}
    for role in APP_ROLES:
        service = compose["services"][role]
        assert service["build"] == "." and os.path.exists(os.path.join(ROOT, "Dockerfile"))
        assert {"DATABASE_URL", "REDIS_URL"} <= set(service["environment"]), role
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_the_image_holds_what_the_commands_import():
    with open(os.path.join(ROOT, "Dockerfile")) as fh:
        lines = [line.split() for line in fh if line.strip() and not line.startswith("#")]
    copied = {words[1].rstrip("/") for words in lines if words[0] == "COPY"}
    assert {"solver", "service", "worker", "migrations", "pyproject.toml"} <= copied
    # Editable install: create_app finds migrations/ beside service/ only in the source tree.
    assert any(words[0] == "RUN" and "pip install -e ." in " ".join(words) for words in lines)
    assert any(words[0] == "USER" and words[1] != "root" for words in lines)


def test_the_commands_exist_in_the_project(compose):
    services = compose["services"]
    web = _argv(services["web"]["command"])
    assert web[:3] == ["gunicorn", "--config", "python:service.gunicorn_conf"]
    assert os.path.exists(os.path.join(BIN, "gunicorn")) and importlib.util.find_spec("service.gunicorn_conf")
    module, _, call = web[-1].partition(":")
    assert call == "create_app()" and callable(importlib.import_module(module).create_app)

    assert _argv(services["worker"]["command"]) == ["python", "-m", "worker"]
    assert importlib.util.find_spec("worker.__main__") is not None
    out = subprocess.run([sys.executable, "-m", "worker", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "--burst" in out.stdout

    scheduler = _argv(services["scheduler"]["command"])
    assert scheduler[:2] == ["rq", "cron"] and scheduler[-1] == "worker.cron"
    assert subprocess.run([os.path.join(BIN, "rq"), "cron", "--help"], capture_output=True).returncode == 0

    migrate = _argv(services["migrate"]["command"])
    assert migrate == ["flask", "--app", "service", "db", "upgrade"]
    out = subprocess.run(
        [os.path.join(BIN, "flask"), *migrate[1:], "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": "sqlite://"},
    )
    assert out.returncode == 0, out.stderr


def test_health_checks_and_start_order(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "scheduler"):
        check = services[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["interval"] and check["retries"] >= 3, name
    # The project's own checks run modules that exist.
    for name in ("worker", "scheduler"):
        test = services[name]["healthcheck"]["test"]
        assert test[1:4] == ["python", "-m", "worker.health"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])

    assert "healthcheck" not in services["migrate"] and services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for role in ("web", "worker", "scheduler"):
        depends = services[role]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, role
        assert depends["redis"] == {"condition": "service_healthy"}, role
        for target, rule in depends.items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], (role, target)


def test_workers_scale_out(compose):
    worker = compose["services"]["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert "container_name" not in worker and "ports" not in worker
    # Warm shutdown: a running solve (at most SOLVE_MAX_TIME_LIMIT_S, 3600 s) finishes first.
    grace = worker["stop_grace_period"]
    assert grace.endswith("m") and int(grace[:-1]) * 60 > 3600
    # The scheduler's clock is UTC, which worker/cron.py's schedule assumes.
    assert compose["services"]["scheduler"]["environment"]["TZ"] == "UTC"


def test_worker_health_check_follows_the_worker(stack, workers):
    env = os.environ | stack["env"]

    def health():
        return subprocess.run(
            [sys.executable, "-m", "worker.health"], env=env, cwd=ROOT, capture_output=True
        ).returncode

    # No worker of this host may be registered before: other tests' workers have been killed and
    # RQ forgets them only when their heartbeat expires, so this test asserts the change only.
    worker = workers()
    deadline = time.monotonic() + 20
    while health() != 0:
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.3)
    scheduler_check = subprocess.run(
        [sys.executable, "-m", "worker.health", "--scheduler"], env=env, cwd=ROOT, capture_output=True
    )
    assert scheduler_check.returncode in (0, 1)  # answers either way; no scheduler is started here
    bad = subprocess.run(
        [sys.executable, "-m", "worker.health"],
        cwd=ROOT,
        capture_output=True,
        env=env | {"REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert bad.returncode == 1


def test_metrics_show_latency_job_durations_gap_and_queues(app, admin, workers, stack):
    from worker_helpers import la_scenario, wait_solve

    worker = workers()
    cycle_id = admin.post("/api/v1/cycles", json=la_scenario(20)).json["id"]
    solve_id = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 5}).json["id"]
    assert wait_solve(admin, solve_id, timeout=30)["status"] == "finished"
    app.config["METRICS_TOKEN"] = "the-scraper-token-of-this-test"
    assert app.test_client().get("/metrics").status_code == 401  # solve ids of every LA: not for anyone
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer the-scraper-token-of-this-test"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'http_request_duration_seconds_count{endpoint="/api/v1/cycles",method="POST",status="201"} 1.0' in text
    assert 'solve_job_duration_seconds_count{kind="solve"} 1.0' in text
    assert 'solves{status="finished"} 1.0' in text
    assert f'solver_gap_ratio{{solve="{solve_id}",status="finished"}}' in text
    assert f'rq_queue_jobs{{queue="{stack["env"]["SOLVE_QUEUE"]}"}} 0.0' in text

    # The worker logs one JSON object per line.
    lines = [line for line in worker.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r.get("solve_id") == solve_id and r["message"] == f"solve {solve_id} ended" for r in records)
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)


def test_gunicorn_serves_health_and_metrics_with_json_logs(stack, tmp_path):
    """The web role's own command line, on a free port, against the test database."""
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics_dir = tmp_path / "prometheus"
    env = (
        os.environ
        | stack["env"]
        | {
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "METRICS_TOKEN": "the-scraper-token-of-this-test",
        }
    )
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "--config", "python:service.gunicorn_conf", "service:create_app()"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = urllib.request.urlopen(base + "/readyz", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        assert json.load(ready)["checks"] == {"database": "ok", "redis": "ok"}
        for _ in range(6):  # spread over both gunicorn processes
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
        scrape = urllib.request.Request(
            base + "/metrics", headers={"Authorization": "Bearer the-scraper-token-of-this-test"}
        )
        text = urllib.request.urlopen(scrape, timeout=5).read().decode()
        # Secrets in paths (a sign-in link, a calendar feed) are cut from the access log.
        for secret_path in ("/sign-in/LINK-SECRET-0123456789", "/calendar/FEED.SECRET-0123456789.ics"):
            with contextlib.suppress(urllib.error.HTTPError):  # 410 / 404: unknown, and logged all the same
                urllib.request.urlopen(base + secret_path, timeout=5).read()
        # Both processes' requests, added up: 1 readyz + 6 healthz.
        assert 'http_request_duration_seconds_count{endpoint="/healthz",method="GET",status="200"} 6.0' in text
        assert "rq_queue_jobs" in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    records = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line.strip()]
    assert any(r["logger"] == "gunicorn.access" and "/healthz" in r["message"] for r in records)
    assert any(r["logger"] == "gunicorn.access" and "/sign-in/[redacted]" in r["message"] for r in records)
    assert any(r["logger"] == "gunicorn.access" and "/calendar/[redacted].ics" in r["message"] for r in records)
    assert "SECRET-0123456789" not in (tmp_path / "gunicorn.log").read_text()
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_the_scheduler_command_runs_and_passes_its_health_check(stack, tmp_path):
    env = os.environ | stack["env"] | {"TZ": "UTC"}
    log = open(tmp_path / "cron.log", "wb")
    proc = subprocess.Popen(
        [os.path.join(BIN, "rq"), "cron", "--url", stack["env"]["REDIS_URL"], "worker.cron"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                [sys.executable, "-m", "worker.health", "--scheduler"], env=env, cwd=ROOT, capture_output=True
            ).returncode
            != 0
        ):
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "cron.log").read_text()
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    text = (tmp_path / "cron.log").read_text()
    assert "worker.nightly.reoptimise_live_cycles" in text and "0 1,2 * * *" in text
