"""The command line, the OpenAPI document, health probes and the error shape; the demo end to end."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from test_cycles_api import assert_error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def flask(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "service", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def service_env(backend) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SOLVE_QUEUE")}
    return env | backend["env"]


def test_users_create_prints_a_token_once_and_stores_it_hashed(app, backend, client, cycle_id):
    env = service_env(backend)
    done = flask("users", "create", "--email", "new@trafford.example", "--role", "la_admin", "--la", "358", env=env)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_\-]{40,}", token)
    assert client.as_(token).get("/api/v1/cycles").json[0]["id"] == cycle_id
    done = flask(
        "users", "create", "--email", "head@navigation.example", "--role", "headteacher", "--school", "106283", env=env
    )
    assert done.returncode == 0, done.stderr
    head = client.as_(done.stdout.strip())
    assert head.get("/api/v1/me").json["school_urn"] == "106283"
    assert_error(head.get("/api/v1/cycles"), 403)
    from service.extensions import db
    from service.models import Token

    with app.app_context():
        stored = db.session.scalars(db.select(Token.token_hash)).all()
    assert token not in stored and len(stored) == 3 and all(len(h) == 64 for h in stored)


def test_users_create_refuses_bad_arguments(backend):
    env = service_env(backend)
    done = flask("users", "create", "--email", "x@example", "--role", "headteacher", "--school", "999999", env=env)
    assert done.returncode != 0 and "no school with URN 999999" in done.stderr
    done = flask("users", "create", "--email", "x@example", "--role", "emperor", "--la", "358", env=env)
    assert done.returncode != 0 and "emperor" in done.stderr


def test_db_upgrade_is_current_and_matches_the_models(backend):
    env = service_env(backend)
    assert flask("db", "upgrade", env=env).returncode == 0
    done = flask("db", "check", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    for path, method in [
        ("/api/v1/cycles", "post"),
        ("/api/v1/cycles/{cycle_id}/scenario", "get"),
        ("/api/v1/cycles/{cycle_id}/solves", "post"),
        ("/api/v1/solves/{solve_id}", "get"),
        ("/api/v1/solves/{solve_id}", "delete"),
        ("/api/v1/cycles/{cycle_id}/plan", "get"),
        ("/api/v1/cycles/{cycle_id}/plan/publish", "post"),
        ("/api/v1/me/visits", "get"),
        ("/api/v1/cycles/{cycle_id}/plan.ics", "get"),
        ("/api/v1/me/visits.ics", "get"),
    ]:
        assert method in paths[path], (path, method)
    post = paths["/api/v1/cycles"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Scenario"}
    assert "ScenarioReviewer" in spec.json["components"]["schemas"]
    assert client.get("/api/docs").status_code == 200


def test_health_and_readiness(client, backend):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"] == "ok"
    if backend["config"]["REDIS_URL"]:
        assert ready.json["checks"]["redis"] == "ok"


def test_readiness_fails_when_redis_does_not_answer(backend):
    from service import create_app

    app = create_app(backend["config"] | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("error")


def test_unknown_route_uses_the_error_shape(client):
    body = assert_error(client.get("/api/v1/nothing-here"), 404)
    assert body["status"] == "Not Found"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_a_solved_cycle_and_both_tokens_work(tmp_path):
    """`python -m service.demo` as `make demo` runs it (its own SQLite file, no Redis, no SECRET_KEY), twice."""
    unset = ("DATABASE_URL", "REDIS_URL", "SOLVE_QUEUE", "SECRET_KEY", "FLASK_DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    port = free_port()
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3", "PORT": str(port), "DEMO_TIME_LIMIT_S": "10"}
    first = subprocess.run(
        [sys.executable, "-m", "service.demo", "--no-serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert first.returncode == 0, first.stderr
    assert "published plan version 1" in first.stdout
    assert re.search(
        r"Mails to headteachers when a plan is published: written as \.eml files to \S+outbox", first.stdout
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.strip().startswith("curl -H") and "/me/visits" in line:
                break
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text, text
        officer = re.search(r"LA officer token.*\n\s+(\S+)", text).group(1)
        head = re.search(r"Headteacher token.*\n\s+(\S+)", text).group(1)

        def get(path, token):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
            )
            for _ in range(100):
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return json.load(response)
                except urllib.error.URLError as exc:
                    if isinstance(exc, urllib.error.HTTPError):
                        raise
                    time.sleep(0.1)
            raise AssertionError("the demo server did not answer")

        cycles = get("/api/v1/cycles", officer)
        assert len(cycles) == 1 and cycles[0]["published_version"] == 1  # the second run reused the first
        assert cycles[0]["state"] == "published"  # next term: not over whenever the demo runs
        plan = get(f"/api/v1/cycles/{cycles[0]['id']}/plan", officer)
        assert len(plan["reviews"]) >= 20
        schools = get("/api/v1/schools", officer)
        assert len(schools) == 103 and {s["cluster"] for s in schools} >= {"Altrincham", "Sale", "Stretford", "Urmston"}
        visits = get("/api/v1/me/visits", head)
        assert visits and {v["kind"] for v in visits} >= {"hosting"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
