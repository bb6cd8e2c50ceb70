"""Visits set by hand that later solves keep: how they enter the cycle's scenario.

A hand change (`service.hand_changes`) pins the visit it makes; the scenario builder lists
every pinned visit in `previous` with `locked: true`, so each solve and the nightly
re-optimisation keep it as it is (the contract's own lock), until the officer releases it.
"""

from __future__ import annotations

from .extensions import db
from .models import Cycle, Review, Reviewer, School
from .records import HandPin


def pins(cycle: Cycle) -> list[HandPin]:
    return list(
        db.session.scalars(
            db.select(HandPin)
            .join(HandPin.review)
            .join(Review.school)
            .where(Review.cycle_id == cycle.id)
            .order_by(School.urn)
        )
    )


def with_pins(cycle: Cycle, previous: list[dict]) -> list[dict]:
    """The scenario's `previous` with every pinned visit in it, locked.

    A visit the officer locked on the published plan stays as it is: a lock is the stronger word,
    and a hand change to a locked visit is refused (rule 9) until it is unlocked."""
    found = pins(cycle)
    if not found:
        return previous
    known = set(db.session.scalars(db.select(Reviewer.ext_id).where(Reviewer.la_id == cycle.la_id)))
    out = {p["school_urn"]: p for p in previous}
    for pin in found:
        urn = pin.review.school.urn
        if pin.review.locked and out.get(urn, {}).get("locked"):
            continue
        visit = next((v for v in pin.plan_version.plan.get("reviews", []) if v["school_urn"] == urn), None)
        if visit is None or any(m["reviewer"] not in known for m in visit["team"]):
            continue
        out[urn] = {
            "school_urn": urn,
            "date": visit["date"],
            "team": [{"reviewer": m["reviewer"], "role": m["role"]} for m in visit["team"]],
            "locked": True,
        }
    return list(out.values())
