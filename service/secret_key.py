"""The key that signs the pages' session cookies, CSRF tokens and calendar-feed URLs.

Anyone who knows it can mint a session for any user, so the service never falls back to a
value written in the source. Where the key comes from, in order:

1. `SECRET_KEY` (the environment, or the config passed to `create_app`);
2. `instance/secret_key`, a random key a developer's machine keeps: `make demo` and debug runs
   write it the first time (`MAKE_INSTANCE_KEY`, or `app.debug`), so nothing needs configuring;
3. testing: a random key for this process;
4. anything else refuses to start, with a message naming the variable.
"""

from __future__ import annotations

import os
import secrets

FILE_NAME = "secret_key"
# Placeholders seen in examples, compose files and this project's own past defaults.
KNOWN = frozenset({"dev-only-not-secret", "change-me", "changeme", "secret", "dev", "development", "test"})
MIN_LENGTH = 32


class MissingSecretKey(RuntimeError):
    """The app would sign sessions with a key that is missing, known or too short."""


def problem(key: str | None) -> str | None:
    """Why `key` cannot sign sessions in production, or None when it can."""
    if not key:
        return "is not set"
    if key.strip().lower() in KNOWN:
        return "is a well-known placeholder"
    if len(key) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    return None


def instance_key(instance_path: str, *, create: bool) -> str | None:
    """The key kept in the instance folder; made (readable by its owner only) when `create`."""
    path = os.path.join(instance_path, FILE_NAME)
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip() or None
    except FileNotFoundError:
        if not create:
            return None
    key = secrets.token_hex(32)
    os.makedirs(instance_path, exist_ok=True)
    # O_EXCL: two processes starting at once keep one key (the loser reads the winner's).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return instance_key(instance_path, create=False)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def ensure(app) -> None:
    """Give `app` a signing key, or raise MissingSecretKey naming `SECRET_KEY`."""
    configured = app.config.get("SECRET_KEY")
    lenient = app.debug or app.testing
    if configured:
        if problem(configured) is not None and not lenient:
            raise MissingSecretKey(_message(problem(configured)))
        return
    kept = instance_key(app.instance_path, create=bool(app.config.get("MAKE_INSTANCE_KEY") or app.debug))
    if kept:
        app.config["SECRET_KEY"] = kept
    elif app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    else:
        raise MissingSecretKey(_message(problem(None)))


def _message(why: str | None) -> str:
    return (
        f"SECRET_KEY {why}: set the SECRET_KEY environment variable to a long random value (e.g. the "
        "output of `python -c 'import secrets; print(secrets.token_hex(32))'`), the same for every web "
        "process. The service refuses to sign sessions with a missing or well-known key (anyone could "
        "forge a session)."
    )
