"""Rate limits against guessing: passwords, sign-in links, API tokens and calendar-feed tokens.

Flask-Limiter, one limiter per app, its counters in Redis when `REDIS_URL` is set (shared by
every web process) or in memory otherwise. What is counted is failure: a wrong password (per
address and per account), an unknown or used sign-in link, a bearer token or feed token that
matches nothing (per address; a request with no token at all guesses nothing and is not counted). Once a limit is reached, even the right password or token gets
429 until the window has moved on, so guessing is slowed whatever the guess. Valid tokens are
also capped per token (a leaked one cannot hammer the service), well above any real client.

Limits are strings in Flask-Limiter's notation ("10 per 15 minutes"), set in service/config.py.
A 429 says when to come back (`Retry-After`, seconds): a page for the pages, the API's error
shape for /api.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from http import HTTPStatus

from flask import current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

EXTENSION = "peer_review_limiter"


def _account() -> str:
    # The e-mail typed, case-blind: one account's counter whatever the address.
    return "account:" + (request.form.get("email") or "").strip().lower()


def _bearer() -> str:
    # The token's own hash stands for its account: no database query before the limit.
    header = request.headers.get("Authorization", "")
    token = header.partition(" ")[2].strip()
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32] if token else "token:none"


def _failed(*codes: int):
    return lambda response: response.status_code in codes


def _wrong_token(response) -> bool:
    # A guess is a request that carried a token: one that carries none guesses nothing.
    return response.status_code == 401 and bool(request.headers.get("Authorization", "").strip())


def _too_many(what: str):
    return lambda: f"too many {what} from this address or account: wait before trying again"


def init_app(app) -> Limiter:
    """Limit the sign-in pages, the calendar feed and every /api/v1 blueprint of `app`."""
    config = app.config
    if config["TRUSTED_PROXIES"]:
        # Behind a load balancer every request comes from it: count by the address it forwards.
        hops = config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    storage = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
    prefix = config["RATELIMIT_KEY_PREFIX"]
    if app.testing:
        # The many apps of a test run share one Redis: each counts on its own.
        prefix = f"{prefix}-{uuid.uuid4().hex[:12]}"
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage,
        strategy="moving-window",
        key_prefix=prefix,
        # Redis down: count in memory rather than refuse every sign-in.
        in_memory_fallback_enabled=True,
        enabled=config.get("RATELIMIT_ENABLED", True),
    )
    app.extensions[EXTENSION] = limiter
    views = app.view_functions
    sign_in = [
        limiter.limit(
            config["RATELIMIT_SIGN_IN_ACCOUNT"],
            key_func=_account,
            methods=["POST"],
            deduct_when=_failed(401),
            error_message=_too_many("failed sign-ins"),
        ),
        limiter.limit(
            config["RATELIMIT_SIGN_IN_ADDRESS"],
            methods=["POST"],
            deduct_when=_failed(401),
            error_message=_too_many("failed sign-ins"),
        ),
    ]
    for limit in sign_in:
        views["pages.sign_in"] = limit(views["pages.sign_in"])
    views["pages.sign_in_link"] = limiter.limit(
        config["RATELIMIT_SIGN_IN_LINK"], deduct_when=_failed(410), error_message=_too_many("unusable sign-in links")
    )(views["pages.sign_in_link"])
    views["pages.calendar_feed"] = limiter.limit(
        config["RATELIMIT_FEED_ADDRESS"], deduct_when=_failed(404), error_message=_too_many("unknown calendar links")
    )(views["pages.calendar_feed"])
    bad_token = limiter.shared_limit(
        config["RATELIMIT_API_ADDRESS"],
        scope="api-bad-token",
        deduct_when=_wrong_token,
        error_message=_too_many("requests with an invalid token"),
    )
    per_token = limiter.shared_limit(
        config["RATELIMIT_API_ACCOUNT"],
        scope="api-token-use",
        key_func=_bearer,
        error_message=_too_many("requests with this token"),
    )
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/v1"):
            bad_token(blueprint)
            per_token(blueprint)
    app.register_error_handler(RateLimitExceeded, _refused)
    return limiter


def retry_after() -> int:
    """Seconds until the limit this request broke lets the next attempt through (at least 1)."""
    limit = current_app.extensions[EXTENSION].current_limit
    return max(1, int(limit.reset_at - time.time())) if limit is not None else 60


def _refused(error: RateLimitExceeded):
    seconds = retry_after()
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith("/api/"):
        body = {
            "code": 429,
            "status": HTTPStatus.TOO_MANY_REQUESTS.phrase,
            "message": f"{error.description}; try again in {seconds} s",
            "errors": {},
        }
        return body, 429, headers
    minutes = max(1, round(seconds / 60))
    page = render_template(
        "pages/error.html",
        title="Too many attempts",
        message=f"Too many attempts that did not work. Wait {minutes} minute{'s' if minutes != 1 else ''} "
        "and try again.",
    )
    return page, 429, headers
