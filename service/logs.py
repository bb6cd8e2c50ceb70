"""JSON log lines (one object per line) for the web, the worker and the scheduler.

Log shippers parse one JSON object per line without a grammar per program; the
fields are the record's own plus whatever a caller passes in `extra=`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

from flask.logging import default_handler

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


# Secrets that travel in URL paths: one-time sign-in links and calendar-feed URLs. They reach the
# access log (the request line, and the Referer of the page that followed) and any message that
# names a path, so they are cut from every log record before it is written.
_SECRET_PATHS = [
    (re.compile(r"(/sign-in/)[^/?#\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(/calendar/)[^/?#\s\"']+?(\.ics)"), r"\1[redacted]\2"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and its `extra` strings) with the URL secrets cut out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def protect(app) -> None:
    """Redact the URL secrets from whatever this app and its development server log."""
    secrets_filter = RedactSecrets()
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(secrets_filter)
    for handler in (default_handler, *logging.getLogger().handlers):
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(secrets_filter)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure(fmt: str = "json", level: int | str = logging.INFO) -> None:
    """Send every logger's records to stderr, as JSON (`fmt="json"`) or plain text."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
