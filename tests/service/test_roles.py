"""The roles of the API, set once per blueprint (`service/resources/roles.py`), walked over every
/api/v1 operation the app serves: each is guarded, 401 without a token, 403 for a role it does not
name, and the rest of the pipeline (parsing, look-ups) only after that."""

from __future__ import annotations

import re

from service.models import ROLES

HTTP = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations(app):
    """(method, path with made-up values, the roles the view answers to) of every /api/v1 operation."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        assert cls is not None, f"{rule.rule} is not a MethodView"
        path = re.sub(r"<int:[^>]+>", "999999", rule.rule)
        path = re.sub(r"<[^>]+>", "nothing-here", path)
        for method in sorted(rule.methods & set(HTTP)):
            fn = getattr(cls, method.lower())
            assert hasattr(fn, "_roles"), f"{method} {rule.rule} is not guarded by its blueprint's roles"
            out.append((method, path, fn._roles))
    return out


def test_every_operation_is_guarded_and_refuses_the_roles_it_does_not_name(app, client, admin, head):
    # DELETE /me/token revokes the token it is called with: walked last, when nothing follows.
    operations = sorted(_operations(app), key=lambda op: op[:2] == ("DELETE", "/api/v1/me/token"))
    assert len(operations) >= 40
    tokens = {"la_admin": admin, "headteacher": head}
    refused = 0
    for method, path, roles in operations:
        call = getattr(client, method.lower())
        assert call(path).status_code == 401, (method, path)
        for role in ROLES:
            status = getattr(tokens[role], method.lower())(path).status_code
            if roles and role not in roles:
                assert status == 403, (method, path, role, status)
                refused += 1
            else:  # allowed in: what follows is the route's own answer (here: nothing of that id)
                assert status not in (401, 403), (method, path, role, status)
    assert refused >= 30  # most of the API is the LA team's


def test_a_method_may_name_its_own_roles(app):
    operations = {(m, p): r for m, p, r in _operations(app)}
    assert operations[("GET", "/api/v1/reviewers")] == ("la_admin", "headteacher")
    assert operations[("POST", "/api/v1/reviewers")] == ("la_admin",)
    assert operations[("GET", "/api/v1/me")] == ()
    assert operations[("GET", "/api/v1/me/visits")] == ("headteacher",)
