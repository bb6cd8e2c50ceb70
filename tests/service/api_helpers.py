"""Helpers of the API tests, in a module of its own: a module named `conftest` is found by
whichever test folder comes first on sys.path, so tests must not import from one."""

from __future__ import annotations

import time


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


def wait_solve(api, solve_id, timeout=60.0, until=("finished", "failed", "cancelled")):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/solves/{solve_id}").json
        if body["status"] in until:
            return body
        time.sleep(0.1)
    raise AssertionError(f"solve {solve_id} still {body['status']} after {timeout}s")
