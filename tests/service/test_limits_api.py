"""Issue #9, brute force on tokens: requests with a token that matches nothing are limited per
address (in Redis when REDIS_URL is set), each token's use is capped, and a 429 is the API's error
shape with Retry-After."""

from __future__ import annotations

import pytest
from api_helpers import Api, make_user
from test_cycles_api import assert_error

from tests.conftest import empty_tables


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Api(client)


def test_guessing_tokens_is_limited_per_address_and_then_even_a_good_token_waits(app, backend):
    token = make_user(app, "officer@trafford.example", "la_admin", "358")
    guesser = from_address(app, "203.0.113.7")
    for i in range(30):
        assert_error(guesser.as_(f"guess-{i:04d}").get("/api/v1/cycles"), 401)
    refused = guesser.as_(token).get("/api/v1/cycles")
    body = assert_error(refused, 429)
    assert body["status"] == "Too Many Requests" and "invalid token" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another address is not held back, and neither is the API's document.
    assert from_address(app, "203.0.113.8").as_(token).get("/api/v1/cycles").status_code == 200
    assert guesser.get("/api/openapi.json").status_code == 200


def test_requests_without_a_token_guess_nothing_and_are_not_counted(app, backend):
    token = make_user(app, "officer@trafford.example", "la_admin", "358")
    client = from_address(app, "203.0.113.10")
    for _ in range(60):
        assert_error(client.get("/api/v1/cycles"), 401)
    assert client.as_(token).get("/api/v1/cycles").status_code == 200


def test_counters_live_in_redis_when_redis_url_is_set(app, backend):
    from limits.storage import MemoryStorage, RedisStorage

    from service.limits import EXTENSION

    storage = app.extensions[EXTENSION].storage
    if backend["config"]["REDIS_URL"]:
        assert isinstance(storage, RedisStorage)
        guesser = from_address(app, "203.0.113.9")
        assert_error(guesser.as_("guess").get("/api/v1/me"), 401)
        keys = storage.storage.keys("*" + app.extensions[EXTENSION]._key_prefix + "/*api-bad-token*")
        assert keys, "no counter in Redis"
    else:
        assert isinstance(storage, MemoryStorage)


@pytest.fixture
def capped(backend, app):
    """The same backend with each token capped at five requests a minute."""
    from service import create_app

    capped = create_app(backend["config"] | {"TESTING": True, "RATELIMIT_API_ACCOUNT": "5 per minute"})
    yield capped
    empty_tables(capped)


def test_each_token_is_capped_whatever_the_address(capped):
    token = make_user(capped, "officer@trafford.example", "la_admin", "358")
    other = make_user(capped, "officer@banes.example", "la_admin", "800")
    for i in range(5):
        assert from_address(capped, f"192.0.2.{i}").as_(token).get("/api/v1/me").status_code == 200
    body = assert_error(from_address(capped, "192.0.2.99").as_(token).get("/api/v1/me"), 429)
    assert "this token" in body["message"]
    assert from_address(capped, "192.0.2.99").as_(other).get("/api/v1/me").status_code == 200
