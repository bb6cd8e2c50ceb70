"""Issue #9, forgeable sessions: no well-known signing key, ever, outside debug and testing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
import yaml
from flask import Flask

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bare_app(tmp_path, **config) -> Flask:
    app = Flask("keyed", instance_path=str(tmp_path / "instance"))
    app.config.update(config)
    return app


@pytest.mark.parametrize("key", [None, "", "dev-only-not-secret", "change-me", "short-but-random-9f2c"])
def test_production_refuses_a_missing_known_or_short_key_and_names_the_variable(tmp_path, key):
    from service.secret_key import MissingSecretKey, ensure

    app = bare_app(tmp_path, SECRET_KEY=key)
    with pytest.raises(MissingSecretKey, match=r"^SECRET_KEY (is not set|is a well-known|is shorter)"):
        ensure(app)
    assert not os.path.exists(tmp_path / "instance" / "secret_key")  # nothing made behind one's back


def test_create_app_refuses_the_old_development_default(monkeypatch, tmp_path):
    from service import create_app
    from service.secret_key import MissingSecretKey

    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(MissingSecretKey, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", "REDIS_URL": None})


def test_the_process_refuses_to_start_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG",)}
    env |= {"SECRET_KEY": "change-me", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    done = subprocess.run(
        [sys.executable, "-c", "from service import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "SECRET_KEY is a well-known placeholder: set the SECRET_KEY environment variable" in done.stderr


def test_a_real_key_is_used_as_given(tmp_path):
    from service.secret_key import ensure

    key = "k" * 16 + "0123456789abcdef0123"
    app = bare_app(tmp_path, SECRET_KEY=key)
    ensure(app)
    assert app.config["SECRET_KEY"] == key


def test_the_demo_makes_one_random_key_and_keeps_it_private_in_the_instance_folder(tmp_path):
    from service.secret_key import ensure

    first = bare_app(tmp_path, SECRET_KEY=None, MAKE_INSTANCE_KEY=True)
    ensure(first)
    path = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64 and path.read_text().strip() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The next start (the demo again, or `flask --app service users login-link`) reuses it.
    again = bare_app(tmp_path, SECRET_KEY=None)
    ensure(again)
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # A different machine (instance) gets a different key.
    other = bare_app(tmp_path / "other", SECRET_KEY=None, MAKE_INSTANCE_KEY=True)
    ensure(other)
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_testing_without_a_key_gets_a_random_one_not_a_known_one(tmp_path):
    from service.secret_key import ensure, problem

    keys = set()
    for _ in range(2):
        app = bare_app(tmp_path, SECRET_KEY=None, TESTING=True)
        ensure(app)
        assert problem(app.config["SECRET_KEY"]) is None
        keys.add(app.config["SECRET_KEY"])
    assert len(keys) == 2
    assert not os.path.exists(tmp_path / "instance" / "secret_key")


def test_compose_carries_no_secret_and_stops_when_it_is_missing():
    with open(os.path.join(ROOT, "docker-compose.yml")) as fh:
        text = fh.read()
    compose = yaml.safe_load(text)
    for role in ("migrate", "web", "worker", "scheduler"):
        value = compose["services"][role]["environment"]["SECRET_KEY"]
        # `${VAR:?message}`: compose refuses to start when VAR is unset or empty; no `:-default`.
        assert value.startswith("${SECRET_KEY:?"), (role, value)
    assert ":-change-me" not in text and "SECRET_KEY:-" not in text
