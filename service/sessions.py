"""The pages' sessions: a signed cookie that names its user, the user's session generation
and the moment of sign-in.

A cookie is only as good as the server's say-so on each request:
- the user's `session_generation` must still be the cookie's: signing out, a password change
  and "sign out everywhere" move it on, so every cookie made before (a copy included) is dead;
- the sign-in must be younger than the absolute lifetime (`PERMANENT_SESSION_LIFETIME`, 12 h
  by default): using a session does not extend it.
"""

from __future__ import annotations

import time

from flask import current_app, session

from .extensions import db
from .models import User

USER, GENERATION, SIGNED_IN_AT = "user_id", "generation", "signed_in_at"


def begin(user: User) -> None:
    """A fresh session for `user`: nothing from before sign-in (e.g. a CSRF token) carries over."""
    session.clear()
    session.permanent = True
    session[USER] = user.id
    session[GENERATION] = user.session_generation
    session[SIGNED_IN_AT] = int(time.time())


def lifetime_s() -> float:
    return current_app.permanent_session_lifetime.total_seconds()


def current() -> User | None:
    """The signed-in user, or None (and the cookie emptied) when the session has ended."""
    user_id = session.get(USER)
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    signed_in_at = session.get(SIGNED_IN_AT)
    if (
        user is None
        or session.get(GENERATION) != user.session_generation
        or not isinstance(signed_in_at, int)
        or time.time() - signed_in_at > lifetime_s()
    ):
        session.clear()
        return None
    return user


def end_everywhere(user: User) -> None:
    """End every session of `user` (the caller commits). One UPDATE, so two at once both count."""
    db.session.execute(db.update(User).where(User.id == user.id).values(session_generation=User.session_generation + 1))
    db.session.refresh(user)


def end() -> None:
    """Sign out: this session ends, and with it every copy of its cookie (so every session of the
    user: a signed cookie cannot be told apart from its copies)."""
    user = current()
    if user is not None:
        end_everywhere(user)
        db.session.commit()
    session.clear()
