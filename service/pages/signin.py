"""Who is signed in to the pages: one-time links, passwords, the session, the calendar feed.

The pages use a cookie session (signed by SECRET_KEY; checked against the user's session
generation and an absolute lifetime by service/sessions.py); the JSON API keeps its bearer
tokens and never reads the session. A sign-in link is 256 random
bits, stored as its SHA-256 (like API tokens), valid once and for a short time.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import click
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, sessions
from ..auth import hash_token
from ..cli import users as users_cli
from ..extensions import db
from ..models import LoginLink, User, utcnow

LINK_MINUTES = 15
MIN_PASSWORD = 12


# --------------------------------------------------------------------------- one-time links


def issue_login_link(user: User, minutes: int = LINK_MINUTES) -> str:
    """A new one-time sign-in token for `user` (the caller commits); returned once, stored hashed."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginLink(user=user, token_hash=hash_token(token), expires_at=utcnow() + dt.timedelta(minutes=minutes))
    )
    return token


def link_is_usable(token: str) -> LoginLink | None:
    link = db.session.scalar(db.select(LoginLink).where(LoginLink.token_hash == hash_token(token)))
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        return None
    return link


def redeem_login_link(token: str) -> User | None:
    """The link's user, marking the link used; None when unknown, used or expired.

    The update is conditional on `used_at IS NULL`, so two simultaneous clicks
    cannot both sign in with one link.
    """
    link = link_is_usable(token)
    if link is None:
        return None
    used = db.session.execute(
        db.update(LoginLink).where(LoginLink.id == link.id, LoginLink.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    db.session.commit()
    return db.session.get(User, link.user_id) if used else None


# --------------------------------------------------------------------------- passwords


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(f"use at least {MIN_PASSWORD} characters", param_hint="password")
    user.password_hash = generate_password_hash(password)
    # Whoever was signed in with the old password is not any more.
    sessions.end_everywhere(user)


# A hash of nothing anyone knows: unknown e-mails cost the same time as wrong passwords.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def check_password(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


# --------------------------------------------------------------------------- the session


def sign_in(user: User) -> None:
    sessions.begin(user)
    audit.signed_in(user)


def sign_out() -> None:
    sessions.end()


def sign_out_everywhere(user: User) -> None:
    sessions.end_everywhere(user)
    audit.record(
        "user.signed_out_everywhere",
        f"{user.email} signed out on every device",
        la_id=user.la_id,
        actor=user,
        object_type="user",
        object_id=user.id,
    )
    db.session.commit()
    sessions.end()


def signed_in_user() -> User | None:
    return sessions.current()


# --------------------------------------------------------------------------- calendar feed


def _feed_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="pages.calendar-feed")


def calendar_feed_token(user: User) -> str:
    """The secret part of the user's iCalendar feed URL (a calendar app cannot send a bearer token).

    Signed, not stored: the user's random `calendar_key` goes into the signature, so
    resetting the key (`reset_calendar_key`) kills every URL handed out before.
    """
    if not user.calendar_key:
        reset_calendar_key(user)
        db.session.commit()
    return _feed_serializer().dumps([user.id, user.calendar_key])


def reset_calendar_key(user: User) -> None:
    user.calendar_key = secrets.token_urlsafe(24)


def user_for_feed(token: str) -> User | None:
    try:
        user_id, key = _feed_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.calendar_key or not hmac.compare_digest(str(key), user.calendar_key):
        return None
    return user


# --------------------------------------------------------------------------- command line


def find_user(email: str) -> User | None:
    # E-mails are stored as typed at `users create`; compare them case-blind.
    return db.session.scalar(db.select(User).where(db.func.lower(User.email) == email.strip().lower()))


def login_url(token: str, base_url: str) -> str:
    # Outside a request (the CLI, the demo) url_for needs a request context for the host.
    with current_app.test_request_context(base_url=base_url):
        return url_for("pages.sign_in_link", token=token, _external=True)


@users_cli.command("login-link")
@click.option("--email", required=True)
@click.option("--minutes", default=LINK_MINUTES, show_default=True, help="how long the link stays valid")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="where the service is served (the link points there)",
)
def login_link_command(email, minutes, base_url):
    """Print a one-time sign-in link for the pages (valid once, for MINUTES)."""
    user = find_user(email)
    if user is None:
        raise click.BadParameter(f"no user {email} (create one with `users create`)", param_hint="--email")
    token = issue_login_link(user, minutes)
    db.session.commit()
    click.echo(login_url(token, base_url))


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.password_option()
def set_password_command(email, password):
    """Set the password a user signs in to the pages with (the API still wants a token)."""
    user = find_user(email)
    if user is None:
        raise click.BadParameter(f"no user {email}", param_hint="--email")
    set_password(user, password)
    db.session.commit()
    click.echo(f"password set for {user.email}")
