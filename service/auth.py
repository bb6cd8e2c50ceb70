"""Bearer tokens and the two roles.

401: no token or an unknown one. 403: the role may not use this endpoint at all.
404: the thing exists but belongs to another LA or school (we answer as if it
did not exist, so nothing about other schools leaks).
"""

import copy
import functools

from flask import g, request
from flask_smorest import abort

from . import tokens
from .models import ROLES, User
from .tokens import hash_token  # noqa: F401 - the pages' sign-in links hash theirs the same way


def issue_token(user: User) -> str:
    """Create a token for `user` (expiring after TOKEN_LIFETIME_DAYS); returned once, never stored."""
    return tokens.issue(user)


def user_for_token(token: str) -> User | None:
    bearer = tokens.look_up(token)
    return bearer.user if bearer else None


def authenticate() -> User:
    """Set `g.user` from the Authorization header, or answer 401."""
    if getattr(g, "user", None) is not None:
        return g.user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="missing bearer token", headers={"WWW-Authenticate": 'Bearer realm="api"'})
    bearer = tokens.look_up(token.strip())
    if bearer is None:
        abort(
            401,
            message="invalid, expired or revoked token",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    g.user, g.token_id = bearer.user, bearer.token_id
    return bearer.user


def current_user() -> User:
    return authenticate()


def require(*roles: str):
    """Decorator: the caller must hold one of `roles` (403 otherwise).

    Put it above the flask-smorest decorators so that authentication and the
    role check come before any request parsing (401/403 before 422).
    """

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = authenticate()
            if roles and user.role not in roles:
                abort(403, message=f"the {user.role} role may not use this endpoint")
            return fn(*args, **kwargs)

        # Document the refusals in the OpenAPI document, as flask-smorest's
        # alt_response does (a reference to its lazily registered responses).
        wrapper._apidoc = copy.deepcopy(getattr(fn, "_apidoc", {}))
        responses = wrapper._apidoc.setdefault("response", {}).setdefault("responses", {})
        responses.setdefault(401, []).append("UNAUTHORIZED")
        if roles and set(roles) != set(ROLES):
            responses.setdefault(403, []).append("FORBIDDEN")
        return wrapper

    return decorator


def not_found(what: str = "resource"):
    abort(404, message=f"{what} not found")
