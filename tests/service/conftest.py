"""Fixtures of the API tests: a client, users of two LAs, a created cycle."""

from __future__ import annotations

import os
import sys
import time

import pytest

# The tests' own helper modules sit beside this file (tests/ has no packages).
sys.path.insert(0, os.path.dirname(__file__))

from tiny_scenarios import tiny  # noqa: E402


class Api:
    """A test client that speaks bearer tokens."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def as_(self, token):
        return Api(self.client, token)

    def _headers(self, headers):
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, path, **kw):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.client.post(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, **kw):
        return self.client.put(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, **kw):
        return self.client.patch(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


def make_user(app, email, role, la_code=None, urn=None) -> str:
    from service.cli import create_user
    from service.extensions import db

    with app.app_context():
        _, token = create_user(email, role, la_code, urn)
        db.session.commit()
        return token


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


def wait_solve(api, solve_id, timeout=60.0, until=("finished", "failed", "cancelled")):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/solves/{solve_id}").json
        if body["status"] in until:
            return body
        time.sleep(0.1)
    raise AssertionError(f"solve {solve_id} still {body['status']} after {timeout}s")


@pytest.fixture
def solved(admin, cycle_id):
    """The tiny cycle, solved (version 1) and published."""
    response = admin.post(f"/api/v1/cycles/{cycle_id}/solves", json={"time_limit_s": 2})
    assert response.status_code == 202, response.json
    body = wait_solve(admin, response.json["id"])
    assert body["status"] == "finished", body
    assert admin.post(f"/api/v1/cycles/{cycle_id}/plan/publish", json={"version": 1}).status_code == 200
    return cycle_id
