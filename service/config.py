"""Configuration, read from the environment in this one place.

Every setting has an embedded default so that `python -m service.demo` and
`flask --app service ...` work on a fresh machine with nothing configured:
SQLite in the instance folder, no Redis (solves run in a thread in-process).
"""

import datetime as dt
import os


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "service.sqlite3")
    # Heroku-style and bare PostgreSQL URLs would pick psycopg2, which we do not ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict:
    env = os.environ.get
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "REDIS_URL": env("REDIS_URL") or None,
        # No default: service/secret_key.py refuses to start without a real one (or the instance's).
        "SECRET_KEY": env("SECRET_KEY") or None,
        # A page session ends this long after sign-in, however much it is used (service/sessions.py).
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=float(env("SESSION_LIFETIME_HOURS", "12"))),
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Rate limits (service/limits.py), in Flask-Limiter's notation; failures are what count.
        "RATELIMIT_SIGN_IN_ACCOUNT": env("RATELIMIT_SIGN_IN_ACCOUNT", "10 per 15 minutes"),
        "RATELIMIT_SIGN_IN_ADDRESS": env("RATELIMIT_SIGN_IN_ADDRESS", "30 per 15 minutes"),
        "RATELIMIT_SIGN_IN_LINK": env("RATELIMIT_SIGN_IN_LINK", "20 per 15 minutes"),
        "RATELIMIT_API_ADDRESS": env("RATELIMIT_API_ADDRESS", "30 per minute"),  # wrong API tokens
        "RATELIMIT_FEED_ADDRESS": env("RATELIMIT_FEED_ADDRESS", "30 per minute"),  # unknown calendar feeds
        "RATELIMIT_API_ACCOUNT": env("RATELIMIT_API_ACCOUNT", "3000 per minute"),  # any use of one token
        "RATELIMIT_KEY_PREFIX": env("RATELIMIT_KEY_PREFIX", "peer-review-limits"),
        # Load balancers in front of the web role that set X-Forwarded-For (0: clients connect directly).
        "TRUSTED_PROXIES": int(env("TRUSTED_PROXIES", "0")),
        # API tokens stop working this long after they are issued (service/tokens.py).
        "TOKEN_LIFETIME_DAYS": float(env("TOKEN_LIFETIME_DAYS", "90")),
        # Solves: the RQ queue and the job named by its dotted path, so the
        # service never imports the worker package (no import cycle).
        "SOLVE_QUEUE": env("SOLVE_QUEUE", "solves"),
        # The night's re-optimisations queue behind officers' own solves.
        "NIGHTLY_QUEUE": env("NIGHTLY_QUEUE", "nightly"),
        "SOLVE_JOB": env("SOLVE_JOB", "worker.jobs.solve_cycle"),
        "SOLVE_ON_FAILURE": env("SOLVE_ON_FAILURE", "worker.jobs.solve_job_failed"),
        # A running RQ solve refreshes a Redis key this often; one silent for five
        # beats belongs to a dead worker.
        "SOLVE_HEARTBEAT_S": float(env("SOLVE_HEARTBEAT_S", "2")),
        # Nightly re-optimisation: its job, the solver's time per cycle.
        "NIGHTLY_JOB": env("NIGHTLY_JOB", "worker.jobs.reoptimise_cycle"),
        "NIGHTLY_TIME_LIMIT_S": float(env("NIGHTLY_TIME_LIMIT_S", "60")),
        "LOG_FORMAT": env("LOG_FORMAT", "text"),
        # The bearer token Prometheus sends for /metrics; unset, /metrics answers 404.
        "METRICS_TOKEN": env("METRICS_TOKEN") or None,
        # Answers of conditional GETs kept per process by ETag (service/conditional.py); 0: none.
        "RESPONSE_CACHE_SIZE": int(env("RESPONSE_CACHE_SIZE", "2048")),
        "SOLVE_DEFAULT_TIME_LIMIT_S": float(env("SOLVE_DEFAULT_TIME_LIMIT_S", "30")),
        "SOLVE_MAX_TIME_LIMIT_S": float(env("SOLVE_MAX_TIME_LIMIT_S", "3600")),
        "SOLVER_WORKERS": int(env("SOLVER_WORKERS", "2")),
        # Without Redis, solves run in the web process: this many at once, the rest queued.
        "SOLVE_INPROCESS_CONCURRENCY": int(env("SOLVE_INPROCESS_CONCURRENCY", "2")),
        # Seconds between two progress writes to the solve row.
        "SOLVE_PROGRESS_INTERVAL_S": float(env("SOLVE_PROGRESS_INTERVAL_S", "1.0")),
        # Request bodies (service/request_limits.py): file uploads, anything else, JSON nesting.
        "MAX_UPLOAD_BYTES": int(env("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        "MAX_BODY_BYTES": int(env("MAX_BODY_BYTES", str(5 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(env("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        "MAX_JSON_DEPTH": int(env("MAX_JSON_DEPTH", "64")),
        **mail_settings(instance_path),
        # flask-smorest / OpenAPI
        "API_TITLE": "School peer review scheduling",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # /api/docs is ours (service/api_docs.py: Swagger UI from a package, no CDN), not flask-smorest's.
        "OPENAPI_SWAGGER_UI_PATH": None,
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearer": []}],
        },
    }


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def mail_settings(instance_path: str) -> dict:
    """Mails sent on publication: SMTP (`MAIL_SERVER` ...), GOV.UK Notify (`NOTIFY_API_KEY`), or,
    with neither, files in a folder of the instance (`MAIL_BACKEND` chooses outright)."""
    env = os.environ.get
    return {
        "MAIL_BACKEND": env("MAIL_BACKEND", "auto"),  # auto | smtp | notify | folder
        "MAIL_SERVER": env("MAIL_SERVER") or None,
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USERNAME": env("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env("MAIL_USE_TLS")),  # STARTTLS on MAIL_PORT
        "MAIL_USE_SSL": _flag(env("MAIL_USE_SSL")),  # TLS from the first byte (port 465)
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "School peer review <peer-review@localhost>"),
        "MAIL_TIMEOUT_S": float(env("MAIL_TIMEOUT_S", "20")),
        "MAIL_FOLDER": env("MAIL_FOLDER") or os.path.join(instance_path, "outbox"),
        "MAIL_QUEUE": env("MAIL_QUEUE", "mail"),
        "MAIL_JOB": env("MAIL_JOB", "worker.mail.deliver_mail"),
        "MAIL_MAX_ATTEMPTS": int(env("MAIL_MAX_ATTEMPTS", "5")),
        # Seconds to wait before the 1st, 2nd, ... retry of a failed send (the last one repeats).
        "MAIL_RETRY_S": [float(s) for s in env("MAIL_RETRY_S", "30,120,600,1800").split(",") if s.strip()],
        "NOTIFY_API_KEY": env("NOTIFY_API_KEY") or None,
        # A Notify e-mail template whose subject is ((subject)) and whose body is ((body)).
        "NOTIFY_TEMPLATE_ID": env("NOTIFY_TEMPLATE_ID") or None,
        "NOTIFY_REPLY_TO_ID": env("NOTIFY_REPLY_TO_ID") or None,
        "NOTIFY_BASE_URL": env("NOTIFY_BASE_URL") or None,  # default: GOV.UK Notify's own API
        # Where people reach the pages: the links in mails (sent by a worker, outside any request).
        "PUBLIC_URL": env("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
    }
