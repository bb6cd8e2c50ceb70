"""Fixtures of the API tests: a client, users of two LAs, a created cycle."""

from __future__ import annotations

import os
import sys

import pytest

# The tests' own helper modules sit beside this file (tests/ has no packages).
sys.path.insert(0, os.path.dirname(__file__))

from api_helpers import Api, make_user, wait_solve  # noqa: E402,F401 - fixtures use them
from tiny_scenarios import tiny  # noqa: E402


@pytest.fixture
def client(app):
    return Api(app.test_client())


@pytest.fixture
def admin(app, client):
    """An LA admin of Trafford (358)."""
    return client.as_(make_user(app, "officer@trafford.example", "la_admin", "358"))


@pytest.fixture
def other_admin(app, client):
    """An LA admin of another LA (Bath and North East Somerset, 800)."""
    return client.as_(make_user(app, "officer@banes.example", "la_admin", "800"))


@pytest.fixture
def cycle_id(admin):
    response = admin.post("/api/v1/cycles", json=tiny())
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def head(app, client, cycle_id):
    """The headteacher of Navigation Primary (106283), whose reviewer is r-01."""
    return client.as_(make_user(app, "head@navigation.example", "headteacher", "358", "106283"))


@pytest.fixture
def other_head(app, client, cycle_id):
    """The headteacher of Oldfield Brow Primary (106290), reviewer r-06."""
    return client.as_(make_user(app, "head@oldfield.example", "headteacher", "358", "106290"))


@pytest.fixture
def solved(admin, cycle_id):
    """The tiny cycle, solved (version 1) and published."""
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2})
    assert response.status_code == 202, response.json
    body = wait_solve(admin, response.json["id"])
    assert body["status"] == "finished", body
    assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 1}).status_code == 200
    return cycle_id
