"""API bearer tokens: issued once, stored as SHA-256, expiring, revocable, last use recorded.

A token is 256 random bits, so SHA-256 is enough to store it (there is no dictionary to guess
from) and looking one up is one indexed query that also brings its user: no password hashing
and no second query per request. `last_used_at` is written at most once a minute per token,
outside the request's transaction, so that reads stay reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app

from . import audit
from .errors import NotFound
from .extensions import db
from .models import Token, User, utcnow

# How stale `last_used_at` may get before a use writes it again.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, days: float | None = None) -> str:
    """A new token for `user` (the caller commits); the plain token is returned once, never stored."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["TOKEN_LIFETIME_DAYS"] if days is None else days
    db.session.add(Token(user=user, token_hash=hash_token(token), expires_at=utcnow() + dt.timedelta(days=days)))
    return token


@dataclass(frozen=True)
class Bearer:
    user: User
    token_id: int


def look_up(token: str) -> Bearer | None:
    """The live token's user (one query: tokens joined to users by the unique hash), or None."""
    now = utcnow()
    row = db.session.execute(
        db.select(User, Token.id, Token.last_used_at)
        .join(Token, Token.user_id == User.id)
        .where(Token.token_hash == hash_token(token), Token.revoked.is_(False), Token.expires_at > now)
    ).first()
    if row is None:
        return None
    user, token_id, last_used = row
    if last_used is None or now - last_used >= LAST_USED_EVERY:
        _touch(token_id, now)
    return Bearer(user, token_id)


def _touch(token_id: int, now: dt.datetime) -> None:
    # Its own short transaction: the request's may roll back, and the use still happened. The
    # condition keeps concurrent requests of one token to one write a minute between them.
    with db.engine.begin() as conn:
        conn.execute(
            db.update(Token)
            .where(
                Token.id == token_id,
                db.or_(Token.last_used_at.is_(None), Token.last_used_at <= now - LAST_USED_EVERY),
            )
            .values(last_used_at=now)
        )


def tokens_of(user: User) -> list[Token]:
    return list(db.session.scalars(db.select(Token).where(Token.user_id == user.id).order_by(Token.id)))


def state(token: Token, now: dt.datetime | None = None) -> str:
    if token.revoked:
        return "revoked"
    if token.expires_at is None or token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def revoke(user: User, token_id: int | None = None) -> list[Token]:
    """Revoke one of `user`'s tokens (404 if it is not theirs), or all of them; the caller commits."""
    query = db.select(Token).where(Token.user_id == user.id, Token.revoked.is_(False))
    if token_id is not None:
        query = query.where(Token.id == token_id)
    revoked = list(db.session.scalars(query))
    if token_id is not None and not revoked and not any(t.id == token_id for t in tokens_of(user)):
        raise NotFound(f"{user.email} has no token {token_id}", {"id": [f"no token {token_id} of this user"]})
    for token in revoked:
        token.revoked = True
    if revoked:
        ids = [t.id for t in revoked]
        audit.record(
            "user.tokens_revoked",
            f"revoked {len(ids)} API token(s) of {user.email}",
            la_id=user.la_id,
            object_type="user",
            object_id=user.id,
            details={"token_ids": ids},
        )
    return revoked
