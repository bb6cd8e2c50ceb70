"""Issue #9, done-when: schemathesis over the whole OpenAPI document, as an LA officer and as a
headteacher, on SQLite and on PostgreSQL, stateful phase on: no server error, and no answer
that breaks its own documented schema.

The app is served over HTTP on 127.0.0.1 (werkzeug, threads) with a solved, published cycle
in it, and schemathesis' own command runs against it (`st run`, the test dependency, not a
copy): examples, coverage (boundary and invalid values of every parameter), fuzzing and the
stateful phase (chains of operations linked by the ids they return). The example count is
kept moderate (`SCHEMATHESIS_MAX_EXAMPLES`, default 5 an operation) so that the whole suite
stays within its ten minutes; a fixed seed (`SCHEMATHESIS_SEED`) makes a failure repeatable.

`DELETE /api/v1/me/token` revokes the very token the run signs with, so it has a run of its
own at the end (everything before it would otherwise answer 401).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import pytest
from api_helpers import Api, make_user, wait_solve
from tiny_scenarios import tiny
from werkzeug.serving import make_server

from tests.conftest import empty_tables, wait_for_solves

pytestmark = pytest.mark.slow

MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261123")
CHECKS = "not_a_server_error,response_schema_conformance"
TOKEN_PATH = "/api/v1/me/token"


@pytest.fixture
def served(backend, tmp_path):
    """The app on `backend` with one solved, published cycle, served on a free port."""
    from service import create_app

    mail_queue = f"test-mail-{uuid.uuid4().hex[:8]}"
    app = create_app(
        backend["config"]
        | {
            "TESTING": True,
            # The fuzzer is one client sending thousands of requests, bad tokens among them.
            "RATELIMIT_ENABLED": False,
            # Solves it starts must end within the test.
            "SOLVE_MAX_TIME_LIMIT_S": 3,
            "MAIL_FOLDER": str(tmp_path / "outbox"),
            "MAIL_QUEUE": mail_queue,
        }
    )
    officer = make_user(app, "officer@trafford.example", "la_admin", "358")
    api = Api(app.test_client(), officer)
    cycle = api.post("/api/v1/cycles", json=tiny())
    assert cycle.status_code == 201, cycle.json
    head = make_user(app, "head@navigation.example", "headteacher", "358", "106283")
    solve = api.post(f"/api/v1/cycles/{cycle.json['id']}/solves", json={"time_limit_s": 2})
    assert wait_solve(api, solve.json["id"])["status"] == "finished"
    assert api.post(f"/api/v1/cycles/{cycle.json['id']}/plan/publish", json={"version": 1}).status_code == 200
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "officer": officer, "head": head}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        wait_for_solves(app)
        empty_tables(app)
        if backend["config"]["REDIS_URL"]:
            from redis import Redis
            from rq import Queue

            Queue(mail_queue, connection=Redis.from_url(backend["config"]["REDIS_URL"])).empty()


def schemathesis(served, token: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    report = tmp_path / f"junit-{uuid.uuid4().hex[:6]}.xml"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{served['url']}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        # Two: one generates the next case while the app answers the last (the app is the slower).
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)


def assert_clean(done: subprocess.CompletedProcess) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-8000:]
    assert "Server error" not in output and "violates schema" not in output, output[-8000:]


# What a headteacher may use: the rest answers 403 before reading anything, so boundary values
# there test nothing (fuzzing and the stateful phase still send them every operation).
HEAD_OPERATIONS = r"^/api/v1/(me|me/visits(\.ics)?|reviewers(/[^/]+)?(/unavailable)?|conflicts(/[^/]+)?)$"


@pytest.mark.parametrize("role", ["officer", "head"])
def test_schemathesis_finds_no_server_error_and_no_answer_off_its_schema(served, backend, role, tmp_path):
    whole = ["--exclude-path", TOKEN_PATH]
    if role == "officer":
        # PostgreSQL differs from SQLite in what its columns hold (integer ranges, lengths): the
        # coverage phase's boundary values find that; random fuzzing adds nothing there but time.
        phases = "examples,coverage,fuzzing,stateful" if backend["name"] == "sqlite" else "examples,coverage,stateful"
        runs = [["--phases", phases, *whole]]
    else:
        runs = [
            ["--phases", "examples,fuzzing,stateful", *whole],
            ["--phases", "coverage", "--include-path-regex", HEAD_OPERATIONS],
        ]
    for args in runs:
        done = schemathesis(served, served[role], tmp_path, *args)
        assert_clean(done)
    assert "Stateful" in done.stdout or role == "head"
    # The token-revoking operation last, on its own.
    assert_clean(schemathesis(served, served[role], tmp_path, "--include-path", TOKEN_PATH))
