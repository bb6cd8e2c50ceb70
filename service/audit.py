"""The audit trail: who did what and when, for an LA's officers to read and nobody to change.

`record` adds an event to the current session, so it is written in the same transaction as
the action it describes (an action rolled back leaves no event). Events are never updated
or deleted: the session refuses to flush such a change, and the database refuses it too.
"""

from __future__ import annotations

import json

from flask import g, has_request_context, request

from .extensions import db
from .models import User
from .records import AuditEvent

# Every action the service records, with what it means (the API's filter and the page list them).
ACTIONS = {
    "user.signed_in": "signed in to the pages",
    "user.signed_out_everywhere": "ended every session of theirs",
    "user.tokens_revoked": "revoked API tokens",
    "pool.schools_imported": "imported schools",
    "pool.reviewers_imported": "imported reviewers",
    "pool.head_account": "gave or changed a headteacher's account",
    "cycle.created": "created a cycle",
    "cycle.updated": "changed a cycle's settings",
    "cycle.deleted": "deleted a cycle",
    "solve.started": "started a solve",
    "solve.cancelled": "cancelled a solve",
    "plan.uploaded": "added a plan solved elsewhere",
    "plan.hand_change": "changed a plan by hand",
    "plan.pin_released": "let a visit set by hand be re-optimised",
    "plan.published": "published a plan",
    "what_if.started": "tried a what-if",
    "what_if.adopted": "adopted a what-if",
    "what_if.discarded": "discarded a what-if",
    "mail.retried": "sent failed mails again",
}


def current_actor() -> User | None:
    """The API's or the pages' signed-in user of this request, if any."""
    if not has_request_context():
        return None
    return getattr(g, "user", None) or getattr(g, "page_user", None)


def record(
    action: str,
    summary: str,
    *,
    la_id: int,
    actor: User | None = None,
    object_type: str = "",
    object_id=None,
    cycle_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add one event (the caller commits with the action). `actor` None: this request's user, or
    "system" outside a request (the nightly run)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor = actor or current_actor()
    row = AuditEvent(
        la_id=la_id,
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        cycle_id=cycle_id,
        summary=summary[:500],
        # Dates and the like as the API writes them: the record is plain JSON.
        details=json.loads(json.dumps(details or {}, default=str)),
    )
    db.session.add(row)
    return row


def cycle_event(action: str, cycle, summary: str, *, actor: User | None = None, **details) -> AuditEvent:
    return record(
        action,
        summary,
        la_id=cycle.la_id,
        actor=actor,
        object_type="cycle",
        object_id=cycle.id,
        cycle_id=cycle.id,
        details=details,
    )


def signed_in(user: User, how: str | None = None) -> None:
    """A page sign-in, committed at once (signing in writes nothing else)."""
    if how is None:
        how = "one-time link" if has_request_context() and request.endpoint == "pages.sign_in_link" else "password"
    record(
        "user.signed_in",
        f"{user.email} signed in ({how})",
        la_id=user.la_id,
        actor=user,
        object_type="user",
        object_id=user.id,
        details={"method": how},
    )
    db.session.commit()


def events_query(la_id: int, *, action: str | None = None, cycle_id: int | None = None):
    query = db.select(AuditEvent).where(AuditEvent.la_id == la_id)
    if action:
        # "plan" matches every plan.* action; "plan.published" only itself.
        if "." in action:
            query = query.where(AuditEvent.action == action)
        else:
            query = query.where(AuditEvent.action.startswith(action + "."))
    if cycle_id is not None:
        query = query.where(AuditEvent.cycle_id == cycle_id)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def page(la_id: int, *, action: str | None = None, cycle_id: int | None = None, number: int = 1, size: int = 50):
    """One page of the LA's events, newest first: {"events", "total", "page", "pages"}."""
    query = events_query(la_id, action=action, cycle_id=cycle_id)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    events = db.session.scalars(query.offset((number - 1) * size).limit(size)).all()
    return {"events": events, "total": total, "page": number, "pages": pages}
